// Package prediction keeps the bounded history of snapshots and derives
// trends, breach times and predicted issues from it.
package prediction

import (
	"math"
	"sort"
	"sync"
	"time"

	"github.com/healthmon/healthmon/scoring"
)

// SeriesKey names one reading's series: component, metric and resource.
type SeriesKey struct {
	Component string
	Metric    string
	Resource  string
}

// ID returns metric, or metric{resource}, as scoring.Reading.ID does.
func (k SeriesKey) ID() string {
	if k.Resource == "" {
		return k.Metric
	}
	return k.Metric + "{" + k.Resource + "}"
}

// absent marks a slot where a series had no value: the component or the
// reading was not in that snapshot.
const absent uint8 = 255

// series is one ring of values aligned with the history's slots.
type series struct {
	values []float64 // NaN where absent or unknown
	status []uint8   // scoring.Status, or absent
	// last is the sequence number of the last snapshot that had it, so a
	// series whose every slot is absent is dropped.
	last uint64
}

func newSeries(size int) *series {
	s := &series{values: make([]float64, size), status: make([]uint8, size)}
	for i := range s.values {
		s.values[i] = math.NaN()
		s.status[i] = absent
	}
	return s
}

func (s *series) set(slot int, v float64, st scoring.Status, seq uint64) {
	s.values[slot], s.status[slot], s.last = v, uint8(st), seq
}

func (s *series) clear(slot int) {
	s.values[slot], s.status[slot] = math.NaN(), absent
}

// History is a bounded ring of the most recent snapshots, held compactly:
// per slot a time, the overall score and status, and per component and per
// reading a float and a status byte, so memory grows with
// size x series and not with the snapshots' structs. It is safe for
// concurrent use.
type History struct {
	mu     sync.RWMutex
	size   int
	head   int    // next slot to write
	n      int    // slots held
	seq    uint64 // snapshots ever added
	times  []int64
	score  []float64
	status []uint8
	comps  map[string]*series
	series map[SeriesKey]*series
}

// NewHistory returns a history that keeps at most size snapshots.
func NewHistory(size int) *History {
	if size < 1 {
		size = 1
	}
	return &History{
		size:   size,
		times:  make([]int64, size),
		score:  make([]float64, size),
		status: make([]uint8, size),
		comps:  map[string]*series{},
		series: map[SeriesKey]*series{},
	}
}

// Add appends a snapshot, dropping the oldest when the ring is full.
func (h *History) Add(s scoring.Snapshot) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.addLocked(s)
}

func (h *History) addLocked(s scoring.Snapshot) {
	slot := h.head
	h.seq++
	seq := h.seq
	h.times[slot] = s.Time.UnixNano()
	h.score[slot] = s.Score
	h.status[slot] = uint8(s.Status)
	for _, c := range s.Components {
		cs := h.comps[c.Name]
		if cs == nil {
			cs = newSeries(h.size)
			h.comps[c.Name] = cs
		}
		cs.set(slot, c.Score, c.Status, seq)
		for _, r := range c.Readings {
			k := SeriesKey{Component: c.Name, Metric: r.Metric, Resource: r.Resource}
			rs := h.series[k]
			if rs == nil {
				rs = newSeries(h.size)
				h.series[k] = rs
			}
			v := r.Value
			if r.Error != "" {
				v = math.NaN()
			}
			rs.set(slot, v, r.Status, seq)
		}
	}
	h.sweep(slot, seq)
	h.head = (h.head + 1) % h.size
	if h.n < h.size {
		h.n++
	}
}

// sweep marks the slot absent in the series the snapshot did not have and
// drops those with no value left in the ring.
func (h *History) sweep(slot int, seq uint64) {
	for name, cs := range h.comps {
		if cs.last != seq {
			cs.clear(slot)
			if seq-cs.last >= uint64(h.size) {
				delete(h.comps, name)
			}
		}
	}
	for k, rs := range h.series {
		if rs.last != seq {
			rs.clear(slot)
			if seq-rs.last >= uint64(h.size) {
				delete(h.series, k)
			}
		}
	}
}

// Len returns how many snapshots are held.
func (h *History) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.n
}

// Cap returns the most snapshots the history keeps.
func (h *History) Cap() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.size
}

// SeriesCount returns how many reading series are held.
func (h *History) SeriesCount() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.series)
}

// slots returns the ring indexes held, oldest first. Must hold h.mu.
func (h *History) slots() []int {
	out := make([]int, h.n)
	start := (h.head - h.n + h.size) % h.size
	for i := range out {
		out[i] = (start + i) % h.size
	}
	return out
}

// Resize changes how many snapshots are kept, keeping the newest.
func (h *History) Resize(size int) {
	if size < 1 {
		size = 1
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if size == h.size {
		return
	}
	old := h.snapshotData()
	h.reset(size)
	h.loadData(old)
}

// reset empties the history and sets its size. Must hold h.mu.
func (h *History) reset(size int) {
	h.size, h.head, h.n, h.seq = size, 0, 0, 0
	h.times, h.score, h.status = make([]int64, size), make([]float64, size), make([]uint8, size)
	h.comps, h.series = map[string]*series{}, map[SeriesKey]*series{}
}

// Window is a copy of the snapshots of a time range, oldest first. Every
// slice of a series is aligned with Times; NaN (or, for statuses,
// StatusUnknown with Present false) marks a snapshot without it.
type Window struct {
	// Times are the snapshots' times.
	Times []time.Time
	// Score and Status are the overall score and status of each snapshot.
	Score  []float64
	Status []scoring.Status
	// Components holds each component's status and score per snapshot.
	Components map[string]ComponentWindow
	// Series holds each reading's values per snapshot.
	Series map[SeriesKey][]float64
}

// ComponentWindow is one component's part of a Window.
type ComponentWindow struct {
	Score  []float64
	Status []scoring.Status
	// Present is false where the snapshot did not have the component.
	Present []bool
}

// Len returns the count of snapshots in the window.
func (w Window) Len() int { return len(w.Times) }

// Window returns a copy of the snapshots taken at or after since.
func (h *History) Window(since time.Time) Window {
	h.mu.RLock()
	defer h.mu.RUnlock()
	from := since.UnixNano()
	var idx []int
	for _, slot := range h.slots() {
		if h.times[slot] >= from {
			idx = append(idx, slot)
		}
	}
	w := Window{
		Times:      make([]time.Time, len(idx)),
		Score:      make([]float64, len(idx)),
		Status:     make([]scoring.Status, len(idx)),
		Components: make(map[string]ComponentWindow, len(h.comps)),
		Series:     make(map[SeriesKey][]float64, len(h.series)),
	}
	for i, slot := range idx {
		w.Times[i] = time.Unix(0, h.times[slot])
		w.Score[i] = h.score[slot]
		w.Status[i] = scoring.Status(h.status[slot])
	}
	for name, cs := range h.comps {
		cw := ComponentWindow{Score: make([]float64, len(idx)), Status: make([]scoring.Status, len(idx)), Present: make([]bool, len(idx))}
		any := false
		for i, slot := range idx {
			cw.Score[i] = cs.values[slot]
			if cs.status[slot] != absent {
				cw.Status[i], cw.Present[i], any = scoring.Status(cs.status[slot]), true, true
			}
		}
		if any {
			w.Components[name] = cw
		}
	}
	for k, rs := range h.series {
		vs := make([]float64, len(idx))
		any := false
		for i, slot := range idx {
			vs[i] = rs.values[slot]
			if rs.status[slot] != absent {
				any = true
			}
		}
		if any {
			w.Series[k] = vs
		}
	}
	return w
}

// LastReadingStatuses returns the statuses the readings of a component had
// in the newest snapshot, by reading ID, or nil when the newest snapshot
// does not have the component. The evaluator seeds its hysteresis from it
// after a restore.
func (h *History) LastReadingStatuses(component string) map[string]scoring.Status {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.n == 0 {
		return nil
	}
	slot := (h.head - 1 + h.size) % h.size
	if cs := h.comps[component]; cs == nil || cs.status[slot] == absent {
		return nil
	}
	out := map[string]scoring.Status{}
	for k, rs := range h.series {
		if k.Component == component && rs.status[slot] != absent {
			out[k.ID()] = scoring.Status(rs.status[slot])
		}
	}
	return out
}

// Newest returns the time of the newest snapshot, and false when empty.
func (h *History) Newest() (time.Time, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.n == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, h.times[(h.head-1+h.size)%h.size]), true
}

// data is the history in slot order, oldest first: the form it is saved
// and restored in.
type data struct {
	times  []int64
	score  []float64
	status []uint8
	comps  []namedSeries
	series []namedSeries
}

type namedSeries struct {
	key    SeriesKey // Component only, for components
	values []float64
	status []uint8
}

// snapshotData copies the history oldest first, series sorted by key.
// Must hold h.mu.
func (h *History) snapshotData() data {
	idx := h.slots()
	d := data{times: make([]int64, len(idx)), score: make([]float64, len(idx)), status: make([]uint8, len(idx))}
	for i, slot := range idx {
		d.times[i], d.score[i], d.status[i] = h.times[slot], h.score[slot], h.status[slot]
	}
	pick := func(k SeriesKey, s *series) namedSeries {
		ns := namedSeries{key: k, values: make([]float64, len(idx)), status: make([]uint8, len(idx))}
		for i, slot := range idx {
			ns.values[i], ns.status[i] = s.values[slot], s.status[slot]
		}
		return ns
	}
	for name, cs := range h.comps {
		d.comps = append(d.comps, pick(SeriesKey{Component: name}, cs))
	}
	for k, rs := range h.series {
		d.series = append(d.series, pick(k, rs))
	}
	sortNamed(d.comps)
	sortNamed(d.series)
	return d
}

func sortNamed(s []namedSeries) {
	sort.Slice(s, func(i, j int) bool {
		a, b := s[i].key, s[j].key
		if a.Component != b.Component {
			return a.Component < b.Component
		}
		if a.Metric != b.Metric {
			return a.Metric < b.Metric
		}
		return a.Resource < b.Resource
	})
}

// loadData replaces the content with d, keeping the newest h.size
// snapshots. Must hold h.mu on an empty history.
func (h *History) loadData(d data) {
	skip := 0
	if len(d.times) > h.size {
		skip = len(d.times) - h.size
	}
	n := len(d.times) - skip
	base := h.seq
	for i := 0; i < n; i++ {
		j := skip + i
		slot := i % h.size
		h.times[slot], h.score[slot], h.status[slot] = d.times[j], d.score[j], d.status[j]
	}
	fill := func(dst map[SeriesKey]*series, ns namedSeries) {
		s := newSeries(h.size)
		for i := 0; i < n; i++ {
			j := skip + i
			s.values[i], s.status[i] = ns.values[j], ns.status[j]
			if ns.status[j] != absent {
				s.last = base + uint64(i) + 1
			}
		}
		if s.last > 0 {
			dst[ns.key] = s
		}
	}
	comps := map[SeriesKey]*series{}
	for _, ns := range d.comps {
		fill(comps, ns)
	}
	for k, s := range comps {
		h.comps[k.Component] = s
	}
	for _, ns := range d.series {
		fill(h.series, ns)
	}
	h.n = n
	h.head = n % h.size
	h.seq = base + uint64(n)
}
