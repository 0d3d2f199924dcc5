package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/google/go-cmp/cmp"
)

// TestPackedStorageReadsWhatGoGitReads packs a repository with git (deltas
// included), then reads every object through relman's pack reader and
// through go-git's storage: same types, same bytes, and the reverse index
// maps every offset to its object.
func TestPackedStorageReadsWhatGoGitReads(t *testing.T) {
	dir := t.TempDir()
	g, err := git.PlainInit(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	// A history whose files change a little each time, so that git's
	// pack holds delta chains.
	var parent []plumbing.Hash
	content := ""
	for i := range 40 {
		content += fmt.Sprintf("line %d of a file that grows a little each commit\n", i)
		blob := g.Storer.NewEncodedObject()
		blob.SetType(plumbing.BlobObject)
		w, _ := blob.Writer()
		_, _ = w.Write([]byte(content))
		_ = w.Close()
		bh, err := g.Storer.SetEncodedObject(blob)
		if err != nil {
			t.Fatal(err)
		}
		tree := &object.Tree{Entries: []object.TreeEntry{{Name: "file.txt", Mode: 0o100644, Hash: bh}}}
		to := g.Storer.NewEncodedObject()
		if err := tree.Encode(to); err != nil {
			t.Fatal(err)
		}
		th, _ := g.Storer.SetEncodedObject(to)
		c := &object.Commit{Message: fmt.Sprintf("c%d", i), TreeHash: th, ParentHashes: parent}
		co := g.Storer.NewEncodedObject()
		if err := c.Encode(co); err != nil {
			t.Fatal(err)
		}
		ch, _ := g.Storer.SetEncodedObject(co)
		parent = []plumbing.Hash{ch}
	}
	if err := g.Storer.SetReference(plumbing.NewHashReference("refs/heads/main", parent[0])); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("git", "-C", dir, "gc", "--quiet", "--prune=now").CombinedOutput(); err != nil {
		t.Fatalf("git gc: %v\n%s", err, out)
	}

	packs, err := openPacks(dir, cache.NewObjectLRU(cache.MiByte))
	if err != nil {
		t.Fatal(err)
	}
	if len(packs) != 1 {
		t.Fatalf("%d packs after git gc, want 1", len(packs))
	}
	ours := &packedStorage{Storage: filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRUDefault()), packs: packs}
	defer ours.Close()
	theirs := filesystem.NewStorage(osfs.New(filepath.Clean(dir)), cache.NewObjectLRUDefault())
	defer theirs.Close()

	ix := packs[0].idx
	// Read every object first by hash through the pack: delta bases are
	// found by offset without the reverse index.
	for i := range 2 {
		iter, _ := ix.Entries()
		for {
			e, err := iter.Next()
			if err != nil {
				break
			}
			if i == 1 {
				ix.seen = nil // no remembered offsets: every base by its key
			}
			a, err := ours.EncodedObject(plumbing.AnyObject, e.Hash)
			if err != nil {
				t.Fatalf("ours: %s: %v", e.Hash, err)
			}
			b, err := theirs.EncodedObject(plumbing.AnyObject, e.Hash)
			if err != nil {
				t.Fatal(err)
			}
			if a.Type() != b.Type() || a.Hash() != e.Hash || read(t, a) != read(t, b) {
				t.Errorf("object %s differs before the reverse index: %s/%s", e.Hash, a.Type(), b.Type())
			}
		}
	}
	if ix.misses == 0 || ix.rev != nil {
		t.Fatalf("delta bases were not found without the reverse index (%d misses)", ix.misses)
	}
	offsets := map[int64]plumbing.Hash{}
	iter, err := ix.Entries()
	if err != nil {
		t.Fatal(err)
	}
	n, deltas := 0, 0
	for {
		e, err := iter.Next()
		if err != nil {
			break
		}
		n++
		offsets[int64(e.Offset)] = e.Hash
		if o, err := ix.FindOffset(e.Hash); err != nil || o != int64(e.Offset) {
			t.Errorf("FindOffset(%s) = %d, %v; want %d", e.Hash, o, err, e.Offset)
		}
		if hdr, err := packs[0].p.GetSizeByOffset(int64(e.Offset)); err != nil || hdr < 0 {
			t.Errorf("size at %d: %v", e.Offset, err)
		}
		a, err := ours.EncodedObject(plumbing.AnyObject, e.Hash)
		if err != nil {
			t.Fatalf("ours: %s: %v", e.Hash, err)
		}
		b, err := theirs.EncodedObject(plumbing.AnyObject, e.Hash)
		if err != nil {
			t.Fatalf("go-git: %s: %v", e.Hash, err)
		}
		if a.Type() != b.Type() || a.Hash() != e.Hash || read(t, a) != read(t, b) {
			t.Errorf("object %s differs: %s/%s", e.Hash, a.Type(), b.Type())
		}
		if sz, err := ours.EncodedObjectSize(e.Hash); err != nil || sz != b.Size() {
			t.Errorf("size of %s: %d, %v; want %d", e.Hash, sz, err, b.Size())
		}
		if hdr, _ := packs[0].p.GetByOffset(int64(e.Offset)); hdr != nil && hdr.Hash() != e.Hash {
			t.Errorf("GetByOffset(%d) = %s, want %s", e.Offset, hdr.Hash(), e.Hash)
		}
	}
	if n < 120 {
		t.Fatalf("the pack holds %d objects, want 120", n)
	}
	// Then the reverse index, exact for every offset.
	for o, want := range offsets {
		if h, err := ix.lookup(o); err != nil || h != want {
			t.Errorf("lookup(%d) = %s, %v; want %s", o, h, err, want)
		}
	}
	ix.misses = buildAfter
	for o, want := range offsets {
		if h, err := ix.FindHash(o); err != nil || h != want {
			t.Errorf("FindHash(%d) = %s, %v; want %s", o, h, err, want)
		}
	}
	if _, err := ix.FindHash(1); err == nil {
		t.Error("FindHash of an offset inside an object found something")
	}
	if _, err := ours.EncodedObject(plumbing.AnyObject, plumbing.NewHash("0123456789012345678901234567890123456789")); err == nil {
		t.Error("an object that is not there was found")
	}
	// git verify-pack -v prints "hash type size size-in-pack offset depth base" for deltas.
	idxs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.idx"))
	out, err := exec.Command("git", "verify-pack", "-v", idxs[0]).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if len(strings.Fields(line)) == 7 {
			deltas++
		}
	}
	if deltas < 10 {
		t.Fatalf("the pack holds %d deltas, want some to read", deltas)
	}
}

func read(t *testing.T, o plumbing.EncodedObject) string {
	t.Helper()
	r, err := o.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var b []byte
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	return string(b)
}

// TestDecodeIdx reads git's own pack indexes as go-git's decoder does, and
// refuses truncated or foreign ones.
func TestDecodeIdx(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", "--bare", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	var in strings.Builder
	for i := range 600 {
		fmt.Fprintf(&in, "blob\ndata %d\nobject %04d\n", len(fmt.Sprintf("object %04d", i)), i)
	}
	cmd := exec.Command("git", "-C", dir, "fast-import", "--quiet")
	cmd.Stdin = strings.NewReader(in.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git fast-import: %v\n%s", err, out)
	}
	idxs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.idx"))
	if len(idxs) != 1 {
		t.Fatalf("%d pack indexes", len(idxs))
	}
	b, err := os.ReadFile(idxs[0])
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeIdx(b)
	if err != nil {
		t.Fatal(err)
	}
	want := idxfile.NewMemoryIndex()
	if err := idxfile.NewDecoder(bytes.NewReader(b)).Decode(want); err != nil {
		t.Fatal(err)
	}
	if got.Fanout != want.Fanout || got.FanoutMapping != want.FanoutMapping ||
		got.PackfileChecksum != want.PackfileChecksum || got.IdxChecksum != want.IdxChecksum ||
		!cmp.Equal(got.Names, want.Names) || !cmp.Equal(got.CRC32, want.CRC32) || !cmp.Equal(got.Offset32, want.Offset32) ||
		len(got.Offset64) != len(want.Offset64) {
		t.Error("decodeIdx differs from go-git's decoder")
	}
	for name, bad := range map[string][]byte{
		"truncated":    b[:len(b)-30],
		"version 1":    append(append([]byte{}, b[:4]...), append([]byte{0, 0, 0, 1}, b[8:]...)...),
		"not an index": []byte("PACK and some bytes that are not an index at all, long enough to be read as one........" + strings.Repeat(".", 1100)),
	} {
		if _, err := decodeIdx(bad); !errors.Is(err, idxfile.ErrMalformedIdxFile) {
			t.Errorf("%s: %v, want ErrMalformedIdxFile", name, err)
		}
	}
}

func TestRadixSort(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 1000, 100000} {
		keys := make([]uint64, n)
		for i := range keys {
			keys[i] = rnd.Uint64() >> uint(rnd.IntN(40))
		}
		want := slices.Clone(keys)
		slices.Sort(want)
		if got := radixSort(keys); !slices.Equal(got, want) {
			t.Errorf("radixSort of %d keys is not sorted", n)
		}
	}
}
