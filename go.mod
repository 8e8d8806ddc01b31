module github.com/switchboard-go/switchboard

go 1.26

require (
	github.com/expr-lang/expr v1.17.8
	github.com/google/btree v1.1.3
	github.com/google/go-cmp v0.7.0
)
