// Package prediction keeps the bounded history of snapshots and derives
// trends and predicted issues from it.
package prediction

import (
	"sync"

	"github.com/healthmon/healthmon/scoring"
)

// History is a bounded ring of the most recent snapshots; the oldest is
// dropped when it is full. It is safe for concurrent use.
type History struct {
	mu   sync.RWMutex
	buf  []scoring.Snapshot
	next int
	full bool
}

// NewHistory returns a history that keeps at most size snapshots.
func NewHistory(size int) *History {
	if size < 1 {
		size = 1
	}
	return &History{buf: make([]scoring.Snapshot, size)}
}

// Add appends a snapshot, dropping the oldest when the ring is full.
func (h *History) Add(s scoring.Snapshot) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf[h.next] = s
	h.next = (h.next + 1) % len(h.buf)
	if h.next == 0 {
		h.full = true
	}
}

// Len returns how many snapshots are held.
func (h *History) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.full {
		return len(h.buf)
	}
	return h.next
}

// Cap returns the most snapshots the history keeps.
func (h *History) Cap() int { return len(h.buf) }

// Snapshots returns the held snapshots, oldest first.
func (h *History) Snapshots() []scoring.Snapshot {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if !h.full {
		return append([]scoring.Snapshot(nil), h.buf[:h.next]...)
	}
	out := make([]scoring.Snapshot, 0, len(h.buf))
	out = append(out, h.buf[h.next:]...)
	return append(out, h.buf[:h.next]...)
}
