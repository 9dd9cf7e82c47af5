// Command mesa-examples is mesa's command line with the example family
// (wide) and base optimizer (oneplus) registered beside mesa's own:
//
//	go run ./cmd/mesa-examples run --config compare.yaml
package main

import (
	"os"

	"example.com/mesa-examples/oneplus"
	"example.com/mesa-examples/wide"

	"github.com/mesa-alignment/mesa/cli"
	"github.com/mesa-alignment/mesa/experiment"
)

func main() { os.Exit(cli.Run(Registry())) }

// Registry returns mesa's registry with the examples added.
func Registry() *experiment.Registry {
	reg := experiment.NewRegistry()
	if err := reg.RegisterFamily(wide.Type{}); err != nil {
		panic(err)
	}
	if err := reg.RegisterOptimizer(oneplus.Type{}); err != nil {
		panic(err)
	}
	return reg
}
