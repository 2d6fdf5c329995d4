package prediction

import (
	"fmt"
	"math"
	"sort"
)

// Fit is how a trend is fitted.
type Fit int

const (
	// TheilSen is the median of the slopes between every pair of points:
	// a burst moves it little. Its confidence interval comes from the
	// variance of Kendall's S. The default.
	TheilSen Fit = iota
	// OLS is ordinary least squares, with a normal confidence interval
	// from the residuals; a single burst can swing it.
	OLS
)

// String returns the name used in the configuration.
func (f Fit) String() string {
	if f == OLS {
		return "ols"
	}
	return "theil_sen"
}

// ParseFit is the inverse of String.
func ParseFit(s string) (Fit, error) {
	switch s {
	case "theil_sen", "":
		return TheilSen, nil
	case "ols":
		return OLS, nil
	}
	return TheilSen, fmt.Errorf("unknown fit %q (want theil_sen or ols)", s)
}

// Trend is a fitted slope with its confidence interval, per second.
type Trend struct {
	Slope float64 `json:"slope_per_second"`
	Lower float64 `json:"lower_per_second"`
	Upper float64 `json:"upper_per_second"`
	// Points is how many points the fit used.
	Points int `json:"points"`
	// Significant: the interval excludes zero and the series moved the
	// way of the slope between its first and last third.
	Significant bool `json:"significant"`
}

// maxPairs bounds the pairs a Theil-Sen fit looks at: beyond it, pairs are
// taken on a fixed lattice of index gaps, so the result stays
// deterministic and the cost bounded.
const maxPairs = 1000

// fitter holds scratch space reused across fits.
type fitter struct {
	method Fit
	z      float64 // the normal quantile of the confidence level
	// white: the noise is taken as independent. Scores are step functions
	// whose steps are the signal, not wandering noise.
	white  bool
	slopes []float64
}

func newFitter(method Fit, confidence float64) *fitter {
	return &fitter{method: method, z: math.Sqrt2 * math.Erfinv(confidence)}
}

// fit fits v over t (seconds, increasing; no NaN).
func (f *fitter) fit(t, v []float64) Trend {
	n := len(t)
	if n < 3 {
		return Trend{Points: n}
	}
	var tr Trend
	if f.method == OLS {
		tr = ols(t, v, f.z, f.white)
	} else {
		tr = f.theilSen(t, v)
	}
	tr.Points = n
	tr.Significant = (tr.Lower > 0 || tr.Upper < 0) && persistent(t, v, tr.Slope)
	return tr
}

// theilSen returns Sen's slope and its rank-based interval: with
// N pairs and C = z * sqrt(Var(S)), Var(S) = n(n-1)(2n+5)/18, the bounds
// are the slopes of rank (N-C)/2 and (N+C)/2.
func (f *fitter) theilSen(t, v []float64) Trend {
	n := len(t)
	all := n * (n - 1) / 2
	// Take every pair when few, else the pairs whose index gap is on a
	// lattice (every step-th gap), which keeps long and short gaps alike.
	step := 1
	for all/step > maxPairs {
		step++
	}
	s := f.slopes[:0]
	for g := 1; g < n; g += step {
		for i := 0; i+g < n; i++ {
			dt := t[i+g] - t[i]
			if dt <= 0 {
				continue
			}
			s = append(s, (v[i+g]-v[i])/dt)
		}
	}
	f.slopes = s
	m := len(s)
	if m == 0 {
		return Trend{}
	}
	mid := m / 2
	nth(s, mid)
	med := s[mid]
	if m%2 == 0 && mid > 0 {
		lo := s[0]
		for _, x := range s[:mid] {
			lo = math.Max(lo, x)
		}
		med = (med + lo) / 2
	}
	varS := float64(n) * float64(n-1) * float64(2*n+5) / 18
	// As a share of the pairs, widened for autocorrelated noise.
	c := f.z * math.Sqrt(varS) / float64(all)
	if !f.white {
		c *= inflation(t, v, med)
	}
	lo := int(math.Floor((0.5 - c/2) * float64(m)))
	hi := int(math.Ceil((0.5+c/2)*float64(m))) - 1
	lo = max(0, min(lo, mid))
	hi = max(mid, min(hi, m-1))
	if lo < mid {
		nth(s[:mid], lo)
	}
	lower := s[lo]
	if hi > mid {
		nth(s[mid+1:], hi-mid-1)
	}
	upper := s[hi]
	return Trend{Slope: med, Lower: lower, Upper: upper}
}

// ols fits least squares with a normal interval on the slope.
func ols(t, v []float64, z float64, white bool) Trend {
	n := float64(len(t))
	var mt, mv float64
	for i := range t {
		mt += t[i]
		mv += v[i]
	}
	mt /= n
	mv /= n
	var sxx, sxy float64
	for i := range t {
		sxx += (t[i] - mt) * (t[i] - mt)
		sxy += (t[i] - mt) * (v[i] - mv)
	}
	if sxx == 0 {
		return Trend{}
	}
	slope := sxy / sxx
	var sse float64
	for i := range t {
		r := v[i] - mv - slope*(t[i]-mt)
		sse += r * r
	}
	se := math.Sqrt(sse / (n - 2) / sxx)
	if !white {
		se *= inflation(t, v, slope)
	}
	return Trend{Slope: slope, Lower: slope - z*se, Upper: slope + z*se}
}

// inflation returns the factor by which autocorrelated noise widens a
// slope's interval: sqrt((1+r)/(1-r)) with r the lag-1 autocorrelation of
// the residuals around the slope (at least 0, at most 0.95). Host metrics
// wander: without it, a slow random swing passes for a trend.
func inflation(t, v []float64, slope float64) float64 {
	n := len(v)
	if n < 4 {
		return 1
	}
	e := make([]float64, n)
	var mean float64
	for i := range v {
		e[i] = v[i] - slope*t[i]
		mean += e[i]
	}
	mean /= float64(n)
	var num, den float64
	for i := range e {
		d := e[i] - mean
		den += d * d
		if i+1 < n {
			num += d * (e[i+1] - mean)
		}
	}
	if den == 0 {
		return 1
	}
	r := math.Min(0.95, math.Max(0, num/den))
	return math.Sqrt((1 + r) / (1 - r))
}

// persistent reports whether the series moved the way of the slope, by at
// least half of what the slope predicts, between the medians of its first
// and last thirds. A sawtooth whose teeth rise steeply but which is
// reclaimed again and again has a rising Sen slope but no such move.
func persistent(t, v []float64, slope float64) bool {
	n := len(t)
	k := n / 3
	if k < 1 || slope == 0 {
		return false
	}
	dv := median(v[n-k:]) - median(v[:k])
	dt := median(t[n-k:]) - median(t[:k])
	want := slope * dt
	if dv/want < 0.5 {
		return false
	}
	// A reclaim is a fall against the trend, from one point to the next,
	// of more than half of what the trend gains over the whole window, and
	// that does not just undo a burst (it falls below the point before the
	// jump too). Memory that a collector frees again and again grows fast
	// but heads nowhere.
	sign := math.Copysign(1, slope)
	limit := 0.5 * math.Abs(slope) * (t[n-1] - t[0])
	for i := 1; i+1 < n; i++ {
		if (v[i+1]-v[i])*sign < -limit && (v[i+1]-v[i-1])*sign < -limit/2 {
			return false
		}
	}
	return true
}

// median returns the median of xs without changing it.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	c := append([]float64(nil), xs...)
	sort.Float64s(c)
	m := len(c) / 2
	if len(c)%2 == 1 {
		return c[m]
	}
	return (c[m-1] + c[m]) / 2
}

// mad returns the median absolute deviation from med, scaled by 1.4826 to
// estimate a standard deviation under normal noise.
func mad(xs []float64, med float64) float64 {
	d := make([]float64, len(xs))
	for i, x := range xs {
		d[i] = math.Abs(x - med)
	}
	return 1.4826 * median(d)
}

// nth partially sorts s so that s[k] is the k-th smallest, everything
// before it is not greater and everything after it not smaller.
func nth(s []float64, k int) {
	lo, hi := 0, len(s)-1
	for lo < hi {
		// Median of three as the pivot.
		mid := lo + (hi-lo)/2
		if s[mid] < s[lo] {
			s[mid], s[lo] = s[lo], s[mid]
		}
		if s[hi] < s[lo] {
			s[hi], s[lo] = s[lo], s[hi]
		}
		if s[hi] < s[mid] {
			s[hi], s[mid] = s[mid], s[hi]
		}
		p := s[mid]
		i, j := lo, hi
		for i <= j {
			for s[i] < p {
				i++
			}
			for s[j] > p {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}
