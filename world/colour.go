package world

import "fmt"

// A Colour is an index into Palette. Colours are data: no colour has a special
// meaning to the engine; "green is the exit" is only ever a property of a
// level distribution.
type Colour uint8

// Palette lists the colours in observation-channel order. Code is the letter
// used for the colour in the text level format (see Parse).
var Palette = [...]struct {
	Name string
	Code byte
}{
	{"green", 'g'},
	{"gray", 'a'},
	{"red", 'r'},
	{"blue", 'b'},
	{"yellow", 'y'},
	{"purple", 'p'},
	{"orange", 'o'},
	{"white", 'w'},
}

// NumColours is the number of colours, and of colour channels in observations.
const NumColours = len(Palette)

// Named colours, for code and tests; distributions name colours by string.
const (
	Green Colour = iota
	Gray
	Red
	Blue
	Yellow
	Purple
	Orange
	White
)

func (c Colour) String() string {
	if int(c) < NumColours {
		return Palette[c].Name
	}
	return fmt.Sprintf("Colour(%d)", c)
}

// ParseColour returns the colour with the given name.
func ParseColour(name string) (Colour, error) {
	for i, p := range Palette {
		if p.Name == name {
			return Colour(i), nil
		}
	}
	return 0, fmt.Errorf("unknown colour %q (known: %s)", name, colourNames())
}

func colourNames() string {
	s := ""
	for i, p := range Palette {
		if i > 0 {
			s += ", "
		}
		s += p.Name
	}
	return s
}

// A Kind says what an object is.
type Kind uint8

const (
	// Exit ends the episode when entered, with the base return of the
	// episode's BaseReturn rule as its reward.
	Exit Kind = iota
	// Apple is decoration for the base objective: it is eaten (removed) when
	// entered and changes nothing else.
	Apple
)

// NumKinds is the number of object kinds, and of kind channels in observations.
const NumKinds = 2

func (k Kind) String() string {
	switch k {
	case Exit:
		return "exit"
	case Apple:
		return "apple"
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// An Object is an exit or an apple in a cell.
type Object struct {
	Kind   Kind
	Colour Colour
	Pos    Point
}
