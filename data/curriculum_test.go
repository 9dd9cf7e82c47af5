package data_test

import (
	"path/filepath"
	"testing"

	"github.com/mesa-alignment/mesa/data"
)

// curriculumRows returns n varied curriculum rows.
func curriculumRows(n int) []data.CurriculumRow {
	rows := make([]data.CurriculumRow, n)
	for i := range rows {
		rows[i] = data.CurriculumRow{Optimizer: []string{"ga", "sgd"}[i%2], Family: "planner", AgentSeed: uint64(i) * 7919,
			Curriculum: []string{"random", "replay", "adversary"}[i%3], Iteration: i/4 + 1, EnvSteps: 100 * (i + 1), Slot: i % 4,
			Origin: []string{"new", "replay", "edit"}[i%3], LevelSeed: uint64(i) << 40, Width: 7 + 2*(i%3), Height: 9,
			ExitX: i % 5, ExitY: i % 7, ExitColour: []string{"green", "blue"}[i%2], ExitRegion: []string{"bottom-right", "none"}[i%2],
			Disambiguating: i%2 == 1, Apples: i % 4, AppleColours: []string{"", "red", "red,green", "blue,red,red"}[i%4],
			Return: float64(i) / 100, Oracle: 0.9, Regret: 0.9 - float64(i)/100, Buffer: min(i, 256)}
	}
	return rows
}

func TestCurriculumTable(t *testing.T) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{BatchRows: 7, Curriculum: true}, 30)
	info := testInfo()
	got := readAll(t, data.OpenCurriculum, filepath.Join(dir, data.FileName(data.TableCurriculum)), mem)
	sameRows(t, got, asWritten(curriculumRows(30), info.RunID))

	// Without Options.Curriculum the table is neither written nor
	// appendable.
	w, err := data.Create(t.TempDir(), info, data.Options{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.SetPoint(0, pointValues(0)); err != nil {
		t.Fatal(err)
	}
	if err := w.AppendCurriculum(curriculumRows(1)...); err == nil {
		t.Error("AppendCurriculum without Options.Curriculum: no error")
	}
}
