// Package examples holds the test that builds and runs examples/researcher,
// a module of its own (example.com/mesa-examples) that registers a policy
// family and a base optimizer from outside mesa and runs them next to
// mesa's through cli.Main, as a researcher's module would.
//
// The researcher module requires mesa by its module path, as any module
// does; only this package's test points that requirement at the checkout
// it sits in (a replace in a temporary copy of the module's go.mod), so
// `go test ./examples/...` tests the example against this very mesa.
package examples
