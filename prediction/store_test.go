package prediction

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/healthmon/healthmon/scoring"
)

// wide builds a snapshot of comps components with per readings each.
func wide(at time.Time, comps, per int, base float64) scoring.Snapshot {
	cs := make([]scoring.ComponentHealth, comps)
	for c := range cs {
		rs := make([]scoring.Reading, per)
		for r := range rs {
			rs[r] = scoring.Reading{Metric: fmt.Sprintf("m%d", r), Resource: "res", Value: base + float64(c*per+r), Thresholds: memTh}
		}
		if c == 0 {
			rs[0].Value = math.NaN()
		}
		cs[c] = scoring.Assess(fmt.Sprintf("c%03d", c), "go", rs, nil)
	}
	return scoring.NewSnapshot(at, policy, cs)
}

func filled(size, snaps, comps, per int) *History {
	h := NewHistory(size)
	for i := range snaps {
		h.Add(wide(t0.Add(time.Duration(i)*time.Minute), comps, per, float64(i)))
	}
	return h
}

// same reports whether two histories hold the same data.
func same(a, b *History) bool {
	ba, err1 := a.MarshalBinary()
	bb, err2 := b.MarshalBinary()
	return err1 == nil && err2 == nil && bytes.Equal(ba, bb)
}

func TestEncodeRoundTrip(t *testing.T) {
	h := filled(10, 14, 3, 4)
	b, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	g := NewHistory(10)
	if err := g.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !same(h, g) || g.Len() != 10 || g.SeriesCount() != 12 {
		t.Fatalf("round trip differs: len %d series %d", g.Len(), g.SeriesCount())
	}
	// Adding goes on where the original was.
	h.Add(wide(t0.Add(20*time.Minute), 3, 4, 20))
	g.Add(wide(t0.Add(20*time.Minute), 3, 4, 20))
	if !same(h, g) {
		t.Fatal("the restored history diverged after an add")
	}
	// A smaller history keeps the newest snapshots.
	small := NewHistory(4)
	if err := small.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	w := small.Window(time.Time{})
	if small.Len() != 4 || !w.Times[0].Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("restored into 4: len %d from %v", small.Len(), w.Times[0])
	}
}

func TestDecodeErrors(t *testing.T) {
	good, err := filled(5, 5, 2, 2).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0xff
	version := bytes.Clone(good)
	version[len(fileMagic)] = 9
	tests := map[string]struct {
		b    []byte
		want string
	}{
		"empty":     {nil, "not a healthmon history file"},
		"foreign":   {[]byte("some other file with enough bytes in it"), "not a healthmon history file"},
		"truncated": {good[:len(good)-10], "checksum mismatch"},
		"flipped":   {flipped, "checksum mismatch"},
		"version":   {version, "checksum mismatch"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h := filled(5, 2, 1, 1)
			before, _ := h.MarshalBinary()
			err := h.UnmarshalBinary(tt.b)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if after, _ := h.MarshalBinary(); !bytes.Equal(before, after) {
				t.Fatal("a failed decode changed the history")
			}
		})
	}
}

func TestStoreSaveRestore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	st := NewStore(dir, nil)
	if n, err := st.Restore(NewHistory(10)); n != 0 || err != nil {
		t.Fatalf("restore without a file: %d %v", n, err)
	}
	h := filled(10, 7, 2, 3)
	if err := st.Save(h); err != nil {
		t.Fatal(err)
	}
	g := NewHistory(10)
	if n, err := st.Restore(g); n != 7 || err != nil || !same(h, g) {
		t.Fatalf("restore: %d %v", n, err)
	}
	if s := st.Stats(); s.LoadErrors != 0 || s.SaveErrors != 0 || s.LastSave.IsZero() || s.Restored != 7 {
		t.Fatalf("stats %+v", s)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("files left in the directory: %v", entries)
	}
}

// TestStoreTornWrite: a save interrupted before its rename leaves a partial
// temporary file beside the last complete one; a restart restores the
// complete one, removes the partial one and loses no snapshot.
func TestStoreTornWrite(t *testing.T) {
	dir := t.TempDir()
	st := NewStore(dir, nil)
	h := filled(100, 30, 3, 3)
	if err := st.Save(h); err != nil {
		t.Fatal(err)
	}
	h.Add(wide(t0.Add(time.Hour), 3, 3, 1))
	b, _ := h.MarshalBinary()
	torn := filepath.Join(dir, tempPrefix+"12345")
	if err := os.WriteFile(torn, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	g := NewHistory(100)
	n, err := NewStore(dir, nil).Restore(g)
	if err != nil || n != 30 {
		t.Fatalf("restore after a torn write: %d %v", n, err)
	}
	if _, err := os.Stat(torn); !os.IsNotExist(err) {
		t.Fatalf("the torn temporary file is still there: %v", err)
	}
}

// TestStoreCorruptMovedAside: a corrupt file is moved aside with a warning
// and a count, and the start goes on with an empty history.
func TestStoreCorruptMovedAside(t *testing.T) {
	for name, content := range map[string][]byte{
		"garbage":   []byte("this is not a history"),
		"truncated": func() []byte { b, _ := filled(10, 5, 1, 1).MarshalBinary(); return b[:len(b)-3] }(),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, content, 0o644); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			st := NewStore(dir, slog.New(slog.NewTextHandler(&logs, nil)))
			h := NewHistory(10)
			n, err := st.Restore(h)
			if n != 0 || err == nil || h.Len() != 0 {
				t.Fatalf("restore: %d %v len %d", n, err, h.Len())
			}
			if st.Stats().LoadErrors != 1 || !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "moved it aside") {
				t.Fatalf("stats %+v logs %s", st.Stats(), logs.String())
			}
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) != 1 {
				t.Fatalf("moved aside: %v", aside)
			}
			if kept, _ := os.ReadFile(aside[0]); !bytes.Equal(kept, content) {
				t.Fatal("the file moved aside is not the corrupt one")
			}
			// The next save and restore work.
			h.Add(wide(t0, 1, 1, 0))
			if err := st.Save(h); err != nil {
				t.Fatal(err)
			}
			if n, err := st.Restore(NewHistory(10)); n != 1 || err != nil {
				t.Fatalf("after: %d %v", n, err)
			}
		})
	}
}

// TestStoreKilledWhileWriting kills a child process that saves a large
// history over and over, at different moments, and restores after each
// kill: every restore succeeds with at least the snapshots of the last
// save the child reported complete.
func TestStoreKilledWhileWriting(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	for round := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHistoryWriterChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "HEALTHMON_HISTORY_WRITER="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		last := 0
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "saved "); ok {
				last, _ = strconv.Atoi(n)
				if last >= 3+round {
					break
				}
			}
		}
		// Kill at a different point of the next write each round.
		time.Sleep(time.Duration(round) * 3 * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		if last == 0 {
			t.Fatalf("round %d: the child saved nothing", round)
		}
		st := NewStore(dir, nil)
		h := NewHistory(2000)
		n, err := st.Restore(h)
		if err != nil || st.Stats().LoadErrors != 0 {
			t.Fatalf("round %d: restore after a kill: %v", round, err)
		}
		// The child's history holds 500 snapshots plus one per save.
		if n < 500+last {
			t.Fatalf("round %d: restored %d snapshots, the child had saved %d", round, n, 500+last)
		}
	}
}

// TestHistoryWriterChild is the child of TestStoreKilledWhileWriting.
func TestHistoryWriterChild(t *testing.T) {
	dir := os.Getenv("HEALTHMON_HISTORY_WRITER")
	if dir == "" {
		t.Skip("only run as a child of TestStoreKilledWhileWriting")
	}
	st := NewStore(dir, nil)
	h := NewHistory(2000)
	if _, err := st.Restore(h); err != nil {
		t.Fatal(err)
	}
	if h.Len() == 0 {
		h = filled(2000, 500, 20, 20)
	}
	base := h.Len() - 500
	for i := 1; ; i++ {
		h.Add(wide(t0.Add(time.Duration(1000+base+i)*time.Minute), 20, 20, float64(i)))
		if err := st.Save(h); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("saved %d\n", base+i)
	}
}

func FuzzHistoryUnmarshal(f *testing.F) {
	good, _ := filled(5, 6, 2, 2).MarshalBinary()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(fileMagic))
	f.Add(good[:len(good)-4])
	f.Fuzz(func(t *testing.T, b []byte) {
		// Also with a valid checksum appended, so the fuzzer gets past it
		// into the structure.
		for _, in := range [][]byte{b, binary.LittleEndian.AppendUint32(bytes.Clone(b), crc32.Checksum(b, crcTable))} {
			h := NewHistory(5)
			if err := h.UnmarshalBinary(in); err != nil {
				continue
			}
			// Whatever decodes must encode and decode to the same.
			again, err := h.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			g := NewHistory(5)
			if err := g.UnmarshalBinary(again); err != nil || !same(h, g) {
				t.Fatalf("re-decode: %v", err)
			}
		}
	})
}

// TestClockStepBack: a history whose clock stepped back (NTP) is saved and
// restored like any other, not taken for corrupt.
func TestClockStepBack(t *testing.T) {
	h := NewHistory(10)
	h.Add(wide(t0.Add(time.Hour), 1, 1, 1))
	h.Add(wide(t0, 1, 1, 2))
	dir := t.TempDir()
	st := NewStore(dir, nil)
	if err := st.Save(h); err != nil {
		t.Fatal(err)
	}
	g := NewHistory(10)
	if n, err := st.Restore(g); n != 2 || err != nil || !same(h, g) {
		t.Fatalf("restore: %d %v", n, err)
	}
}
