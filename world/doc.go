// Package world is the maze world of mesa: block mazes with one exit and
// some apples, level distributions (training and deployment, and the shift
// between them), an episode engine, observations, and a plain-text level
// format.
//
// A maze is a grid of cells stored as a flat slice with a stride, like
// image.Gray: cell (x, y) is at index y*Width+x. Every cell is either wall or
// floor, and the border is always wall, so moving never needs a bounds check.
// Mazes have odd sizes; "rooms" sit at odd coordinates and the cells between
// two rooms are the passages a generator opens.
//
// A Level is immutable once made and may be shared between goroutines. An
// Episode holds the mutable state of one run through a level and belongs to a
// single goroutine.
//
// Everything here is deterministic: a level is a pure function of its
// Distribution and level seed (see Distribution.Level), and observation noise
// is drawn from a source the caller passes in.
package world
