package experiment

import (
	"bytes"
	"embed"
	"fmt"
	"slices"
	"strings"
)

//go:embed presets/*.yaml
var presetFS embed.FS

// DefaultPreset is the experiment `mesa` runs with no arguments: the
// talk's green-exit maze.
const DefaultPreset = "green-exit"

// PresetNames lists the embedded experiment presets, sorted.
func PresetNames() []string {
	entries, _ := presetFS.ReadDir("presets")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	slices.Sort(names)
	return names
}

// PresetText returns the YAML of a preset.
func PresetText(name string) ([]byte, error) {
	b, err := presetFS.ReadFile("presets/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("unknown preset %q (known: %s)", name, strings.Join(PresetNames(), ", "))
	}
	return b, nil
}

// Preset parses a preset.
func Preset(name string) (*Config, error) {
	b, err := PresetText(name)
	if err != nil {
		return nil, err
	}
	c, err := Parse(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("preset %s: %w", name, err)
	}
	return c, nil
}

// PresetSummary returns the first line of a preset's leading comment.
func PresetSummary(name string) string {
	b, err := PresetText(name)
	if err != nil {
		return ""
	}
	first, _, _ := strings.Cut(string(b), "\n")
	if !strings.HasPrefix(first, "#") {
		return ""
	}
	return strings.TrimSpace(strings.TrimPrefix(first, "#"))
}
