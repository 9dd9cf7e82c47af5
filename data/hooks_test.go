package data

import "os"

// SetCreateTableFile replaces how a writer creates its tables' .tmp files,
// for the tests that write a table onto a full device, and returns what
// restores it.
func SetCreateTableFile(create func(root *os.Root, name string) (*os.File, error)) (restore func()) {
	old := createTableFile
	createTableFile = create
	return func() { createTableFile = old }
}
