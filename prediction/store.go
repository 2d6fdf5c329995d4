package prediction

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The history file: magic, version, the data oldest first, and a CRC-32C
// of everything before it, so a truncated or garbled file is recognised.
const (
	fileMagic   = "HMHIST\x00\x01"
	fileVersion = 1
	// FileName is the history's file inside the storage directory.
	FileName = "history.bin"
	// maxString bounds names read back, so a corrupt length cannot
	// allocate much.
	maxString = 1 << 16
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrIncompatible is returned for a history file of another format or
// version.
var ErrIncompatible = errors.New("incompatible history file")

// MarshalBinary encodes the history, oldest snapshot first.
func (h *History) MarshalBinary() ([]byte, error) {
	h.mu.RLock()
	d := h.snapshotData()
	h.mu.RUnlock()
	n := len(d.times)
	size := len(fileMagic) + 4 + 4 + n*17 + 8
	for _, s := range append(d.comps, d.series...) {
		size += 6 + len(s.key.Component) + len(s.key.Metric) + len(s.key.Resource) + n*9
	}
	b := make([]byte, 0, size+8)
	b = append(b, fileMagic...)
	b = binary.LittleEndian.AppendUint32(b, fileVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	for _, t := range d.times {
		b = binary.LittleEndian.AppendUint64(b, uint64(t))
	}
	b = appendFloats(b, d.score)
	b = append(b, d.status...)
	for _, group := range [][]namedSeries{d.comps, d.series} {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(group)))
		for _, s := range group {
			for _, str := range []string{s.key.Component, s.key.Metric, s.key.Resource} {
				if len(str) >= maxString {
					return nil, fmt.Errorf("encoding history: name %.40q... is too long", str)
				}
				b = binary.LittleEndian.AppendUint16(b, uint16(len(str)))
				b = append(b, str...)
			}
			b = appendFloats(b, s.values)
			b = append(b, s.status...)
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable)), nil
}

func appendFloats(b []byte, fs []float64) []byte {
	for _, f := range fs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	return b
}

// decoder reads the file's fields, failing once on running short.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = fmt.Errorf("truncated history file: %d bytes wanted, %d left", n, len(d.b))
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) u32() uint32 {
	if b := d.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) str() string {
	b := d.take(2)
	if b == nil {
		return ""
	}
	return string(d.take(int(binary.LittleEndian.Uint16(b))))
}

func (d *decoder) floats(n int) []float64 {
	b := d.take(n * 8)
	if b == nil {
		return nil
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[i*8:]))
	}
	return out
}

// UnmarshalBinary replaces the history's content with an encoded one,
// keeping its size: the oldest snapshots beyond it are dropped. On error the
// history is unchanged.
func (h *History) UnmarshalBinary(b []byte) error {
	d, err := decodeData(b)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reset(h.size)
	h.loadData(d)
	return nil
}

func decodeData(b []byte) (data, error) {
	if len(b) < len(fileMagic)+4+4+4 || string(b[:len(fileMagic)]) != fileMagic {
		return data{}, fmt.Errorf("%w: not a healthmon history file", ErrIncompatible)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, crcTable) != sum {
		return data{}, errors.New("corrupt history file: checksum mismatch")
	}
	dec := &decoder{b: body[len(fileMagic):]}
	if v := dec.u32(); v != fileVersion {
		return data{}, fmt.Errorf("%w: version %d, want %d", ErrIncompatible, v, fileVersion)
	}
	n := int(dec.u32())
	if n*17 > len(dec.b) {
		return data{}, fmt.Errorf("corrupt history file: %d snapshots do not fit in %d bytes", n, len(dec.b))
	}
	var d data
	d.times = make([]int64, n)
	for i, raw := 0, dec.take(n*8); i < n && raw != nil; i++ {
		d.times[i] = int64(binary.LittleEndian.Uint64(raw[i*8:]))
	}
	d.score = dec.floats(n)
	d.status = append([]uint8(nil), dec.take(n)...)
	for g := 0; g < 2; g++ {
		count := int(dec.u32())
		if dec.err == nil && count*(6+n*9) > len(dec.b) {
			return data{}, fmt.Errorf("corrupt history file: %d series do not fit in %d bytes", count, len(dec.b))
		}
		group := make([]namedSeries, 0, count)
		for i := 0; i < count && dec.err == nil; i++ {
			var s namedSeries
			s.key = SeriesKey{Component: dec.str(), Metric: dec.str(), Resource: dec.str()}
			s.values = dec.floats(n)
			s.status = append([]uint8(nil), dec.take(n)...)
			group = append(group, s)
		}
		if g == 0 {
			d.comps = group
		} else {
			d.series = group
		}
	}
	if dec.err != nil {
		return data{}, fmt.Errorf("corrupt history file: %w", dec.err)
	}
	if len(dec.b) != 0 {
		return data{}, fmt.Errorf("corrupt history file: %d bytes after the end", len(dec.b))
	}
	return d, nil
}

// Store saves the history to a directory and restores it, atomically: a
// crash at any moment leaves the old file or the new one, never a torn
// one. It counts what went wrong for the metrics. It is safe for
// concurrent use.
type Store struct {
	dir    string
	logger *slog.Logger

	mu           sync.Mutex // serialises saves; guards the fields below
	loadErrors   uint64
	saveErrors   uint64
	lastSave     time.Time
	lastSaveSize int
	restored     int
}

// StoreStats are a Store's counters, for the metrics.
type StoreStats struct {
	LoadErrors, SaveErrors uint64
	// LastSave is the time of the last successful save; zero before one.
	LastSave time.Time
	// LastSaveBytes is the size of the file last written.
	LastSaveBytes int
	// Restored is how many snapshots the last restore brought back.
	Restored int
}

// NewStore returns a store that keeps its file in dir.
func NewStore(dir string, logger *slog.Logger) *Store {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Store{dir: dir, logger: logger}
}

// Path returns the history file's path.
func (s *Store) Path() string { return filepath.Join(s.dir, FileName) }

// Stats returns the counters.
func (s *Store) Stats() StoreStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return StoreStats{LoadErrors: s.loadErrors, SaveErrors: s.saveErrors, LastSave: s.lastSave, LastSaveBytes: s.lastSaveSize, Restored: s.restored}
}

// Restore loads the saved history into h and returns how many snapshots
// it holds. A missing file is a fresh start. A file that cannot be read
// back (corrupt, truncated, of another version) is moved aside with a
// warning and counted, and h starts empty: it never stops a start. The
// returned error says what went wrong, for callers that want it.
func (s *Store) Restore(h *History) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeTemps()
	path := s.Path()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		s.restored = 0
		return 0, nil
	}
	if err == nil {
		err = h.UnmarshalBinary(b)
	}
	if err != nil {
		s.loadErrors++
		aside := fmt.Sprintf("%s.corrupt-%d", path, time.Now().UnixNano())
		if rerr := os.Rename(path, aside); rerr != nil {
			s.logger.Warn("Cannot read the saved history and cannot move it aside; starting with an empty history", "path", path, "err", err, "rename_err", rerr)
			return 0, fmt.Errorf("restoring history from %s: %w", path, err)
		}
		s.logger.Warn("Cannot read the saved history; moved it aside and starting with an empty history", "path", path, "moved_to", aside, "err", err)
		return 0, fmt.Errorf("restoring history from %s: %w", path, err)
	}
	s.restored = h.Len()
	return s.restored, nil
}

// tempPrefix starts the names of files being written.
const tempPrefix = "." + FileName + ".tmp-"

// removeTemps deletes files left by saves that a crash interrupted.
func (s *Store) removeTemps() {
	matches, _ := filepath.Glob(filepath.Join(s.dir, tempPrefix+"*"))
	for _, m := range matches {
		if err := os.Remove(m); err == nil {
			s.logger.Info("Removed a history file left by an interrupted save", "path", m)
		}
	}
}

// Save writes the history atomically: to a temporary file in the same
// directory, synced, renamed over the old one, and the directory synced.
func (s *Store) Save(h *History) error {
	b, err := h.MarshalBinary()
	if err != nil {
		s.count(false, 0)
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := writeAtomic(s.dir, s.Path(), b); err != nil {
		s.saveErrors++
		return fmt.Errorf("saving history to %s: %w", s.Path(), err)
	}
	s.lastSave, s.lastSaveSize = time.Now(), len(b)
	return nil
}

func (s *Store) count(ok bool, size int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok {
		s.saveErrors++
		return
	}
	s.lastSave, s.lastSaveSize = time.Now(), size
}

func writeAtomic(dir, path string, b []byte) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !strings.Contains(err.Error(), "invalid argument") {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
