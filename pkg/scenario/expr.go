package scenario

import (
	"errors"

	"github.com/drillkit/drill/pkg/check"
)

var (
	_ scalarDecoder = (*Check)(nil)
	_ scalarDecoder = (*Abort)(nil)
	_ scalarDecoder = (*Rate)(nil)
)

func (c *Check) decodeScalar(s string) error {
	e, err := check.Parse(s)
	if err != nil {
		return exprError(err)
	}
	c.Expr = e
	return nil
}

func (c *Check) setPos(line, col int) { c.Line, c.Col = line, col }

func (a *Abort) decodeScalar(s string) error {
	c, err := check.ParseAbort(s)
	if err != nil {
		return exprError(err)
	}
	a.Condition = c
	return nil
}

func (a *Abort) setPos(line, col int) { a.Line, a.Col = line, col }

func (r *Rate) decodeScalar(s string) error {
	rate, err := ParseRate(s)
	if err != nil {
		return err
	}
	*r = rate
	return nil
}

// exprError turns a check.SyntaxError into a colError.
func exprError(err error) error {
	var se *check.SyntaxError
	if errors.As(err, &se) {
		return &colError{col: se.Col, msg: se.Msg}
	}
	return err
}
