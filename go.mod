module github.com/drillkit/drill

go 1.26.8
