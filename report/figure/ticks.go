package figure

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// niceTicks is a plot.Ticker with about n labelled ticks at multiples of 1,
// 2, 2.5 or 5 times a power of ten, an unlabelled tick halfway between
// them, and labels that abbreviate thousands and millions (250k, 1.5M).
type niceTicks struct{ n int }

// niceStep returns a step of 1, 2, 2.5 or 5 times a power of ten that cuts
// span into about n pieces.
func niceStep(span float64, n int) float64 {
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw*0.999 {
			return m * mag
		}
	}
	return 10 * mag
}

func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: formatTick(lo, 1)}}
	}
	step := niceStep(hi-lo, t.n)
	var ticks []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > hi+step*1e-9 {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: formatTick(v, step)})
		if m := v + step/2; m <= hi {
			ticks = append(ticks, plot.Tick{Value: m})
		}
	}
	if m := first - step/2; m >= lo {
		ticks = append(ticks, plot.Tick{Value: m})
	}
	return ticks
}

// formatTick formats v, a multiple of step, with as many decimals as step
// needs; values of 10 000 and more are written in k or M.
func formatTick(v, step float64) string {
	if v == 0 && step >= 1 {
		return "0"
	}
	a := math.Max(math.Abs(v), step)
	suffix := ""
	switch {
	case a >= 1e6:
		v, step, suffix = v/1e6, step/1e6, "M"
	case a >= 1e4:
		v, step, suffix = v/1e3, step/1e3, "k"
	}
	prec := 0
	for prec < 6 && math.Abs(step*math.Pow10(prec)-math.Round(step*math.Pow10(prec))) > 1e-6*step*math.Pow10(prec) {
		prec++
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + suffix
}
