package agent

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The parts of `nft -j` output (libnftables-json(5)) the agent reads. Fields
// it does not read are ignored by the decoder.

// nftDocument is the output of `nft -j list ...`.
type nftDocument struct {
	Nftables []nftObject `json:"nftables"`
}

// nftObject is one element of `nft -j` output; at most one field is set
// (metainfo, elements and the other object kinds leave them all nil).
type nftObject struct {
	Table *nftRef `json:"table"`
	Chain *nftRef `json:"chain"`
	Rule  *nftRef `json:"rule"`
	Set   *nftRef `json:"set"`
	Map   *nftRef `json:"map"`
}

// nftRef is a table, chain, rule, set or map. A rule's statements are kept
// raw and decoded (rule.statements) only for the rules the agent reads.
type nftRef struct {
	Family  string          `json:"family"`
	Table   string          `json:"table"`
	Name    string          `json:"name"`
	Chain   string          `json:"chain"`
	Comment string          `json:"comment"`
	Expr    json.RawMessage `json:"expr"`
}

// statements decodes a rule's statements.
func (r *nftRef) statements() ([]nftStatement, error) {
	var out []nftStatement
	if len(r.Expr) == 0 {
		return nil, nil
	}
	err := json.Unmarshal(r.Expr, &out)
	return out, err
}

// nftStatement is one statement of a rule.
type nftStatement struct {
	Match *nftMatch   `json:"match"`
	Goto  *nftVerdict `json:"goto"`
	Jump  *nftVerdict `json:"jump"`
	DNAT  *nftNAT     `json:"dnat"`
	VMap  *nftMap     `json:"vmap"`
}

// nftMatch is a relational statement: left op right.
type nftMatch struct {
	Op    string  `json:"op"`
	Left  nftExpr `json:"left"`
	Right nftExpr `json:"right"`
}

type nftVerdict struct {
	Target string `json:"target"`
}

// nftNAT is a dnat (or snat) statement: addr is an address, or a map that
// yields address and port.
type nftNAT struct {
	Family string  `json:"family"`
	Addr   nftExpr `json:"addr"`
	Port   nftExpr `json:"port"`
}

// nftMap is a map lookup (key, then data: an anonymous set of elements or
// "@name").
type nftMap struct {
	Key  nftExpr `json:"key"`
	Data nftExpr `json:"data"`
}

// nftExpr is an expression: a literal (String or Number) or one of the
// objects below; any other expression decodes to a zero nftExpr.
type nftExpr struct {
	String string
	Number *int64

	Payload *nftPayload
	Meta    *nftMeta
	Fib     *nftFib
	Numgen  *nftNumgen
	Map     *nftMap
	Concat  []nftExpr
	Set     []nftElem
}

type nftPayload struct {
	Protocol string `json:"protocol"`
	Field    string `json:"field"`
}

type nftMeta struct {
	Key string `json:"key"`
}

type nftFib struct {
	Result string   `json:"result"`
	Flags  []string `json:"flags"`
}

type nftNumgen struct {
	Mode string `json:"mode"`
	Mod  int    `json:"mod"`
}

// nftElem is an element of an anonymous set: a key, or [key, value] in a
// map.
type nftElem struct {
	Key, Value nftExpr
}

func (e *nftExpr) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch c := b[0]; {
	case c == '"':
		return json.Unmarshal(b, &e.String)
	case c == '-' || c >= '0' && c <= '9':
		var n int64
		if json.Unmarshal(b, &n) == nil { // a fraction is no expression the agent reads
			e.Number = &n
		}
		return nil
	case c != '{':
		return nil // lists, booleans, null
	}
	var o struct {
		Payload *nftPayload `json:"payload"`
		Meta    *nftMeta    `json:"meta"`
		Fib     *nftFib     `json:"fib"`
		Numgen  *nftNumgen  `json:"numgen"`
		Map     *nftMap     `json:"map"`
		Concat  []nftExpr   `json:"concat"`
		Set     []nftElem   `json:"set"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	e.Payload, e.Meta, e.Fib, e.Numgen, e.Map, e.Concat, e.Set = o.Payload, o.Meta, o.Fib, o.Numgen, o.Map, o.Concat, o.Set
	return nil
}

func (e *nftElem) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var pair []nftExpr
		if err := json.Unmarshal(b, &pair); err != nil {
			return err
		}
		if len(pair) == 2 {
			e.Key, e.Value = pair[0], pair[1]
		}
		return nil
	}
	return json.Unmarshal(b, &e.Key)
}

// literal is e written as nft writes a literal ("198.19.1.2", "8080"), or
// "" when e is not one.
func (e nftExpr) literal() string {
	switch {
	case e.Number != nil:
		return strconv.FormatInt(*e.Number, 10)
	default:
		return e.String
	}
}
