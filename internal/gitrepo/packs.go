package gitrepo

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// packedStorage is go-git's filesystem storage with objects read from the
// pack files through a compact reverse index.
//
// go-git's storage answers every read from a pack by first mapping the
// object's offset back to its hash, and it builds that map for the whole
// pack on the first read: a Go map of every object in the repository
// (41 MB and most of a dry run's time on netty's 626k objects). Here the
// reverse index is a sorted array of 16 bytes an object, built on the
// first delta that needs it. Objects outside the packs found at Open
// (loose objects, packs fetched later) are read by go-git as before.
type packedStorage struct {
	*filesystem.Storage
	packs []*pack
}

type pack struct {
	idx *packIndex
	p   *packfile.Packfile
}

// openPacks opens the pack files of gitDir/objects/pack with their indexes.
func openPacks(gitDir string, objects cache.Object) ([]*pack, error) {
	dir := filepath.Join(gitDir, "objects", "pack")
	fs := osfs.New(dir)
	names, err := filepath.Glob(filepath.Join(dir, "pack-*.idx"))
	if err != nil {
		return nil, err
	}
	var packs []*pack
	closeAll := func() {
		for _, p := range packs {
			_ = p.p.Close()
		}
	}
	for _, name := range names {
		base := strings.TrimSuffix(filepath.Base(name), ".idx")
		f, err := fs.Open(base + ".idx")
		if err != nil {
			closeAll()
			return nil, err
		}
		mi := idxfile.NewMemoryIndex()
		err = idxfile.NewDecoder(f).Decode(mi)
		_ = f.Close()
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		pf, err := fs.Open(base + ".pack")
		if err != nil {
			continue // an index without its pack: go-git's storage decides
		}
		ix := &packIndex{MemoryIndex: mi}
		// No filesystem: objects come back in memory, never as lazy
		// readers of a file that a later Close would invalidate.
		packs = append(packs, &pack{idx: ix, p: packfile.NewPackfileWithCache(ix, nil, pf, objects, 0)})
	}
	return packs, nil
}

func (s *packedStorage) find(h plumbing.Hash) *pack {
	for _, p := range s.packs {
		if ok, _ := p.idx.Contains(h); ok {
			return p
		}
	}
	return nil
}

// EncodedObject reads an object from the packs, else through go-git.
func (s *packedStorage) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if p := s.find(h); p != nil {
		o, err := p.p.Get(h)
		if err == nil {
			if t != plumbing.AnyObject && o.Type() != t {
				return nil, plumbing.ErrObjectNotFound
			}
			return o, nil
		}
	}
	return s.Storage.EncodedObject(t, h)
}

// HasEncodedObject looks in the packs' indexes first.
func (s *packedStorage) HasEncodedObject(h plumbing.Hash) error {
	if s.find(h) != nil {
		return nil
	}
	return s.Storage.HasEncodedObject(h)
}

// EncodedObjectSize reads the size from the packs first.
func (s *packedStorage) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	if p := s.find(h); p != nil {
		if off, err := p.idx.FindOffset(h); err == nil {
			if n, err := p.p.GetSizeByOffset(off); err == nil {
				return n, nil
			}
		}
	}
	return s.Storage.EncodedObjectSize(h)
}

// Close closes the packs and go-git's storage.
func (s *packedStorage) Close() error {
	for _, p := range s.packs {
		_ = p.p.Close()
	}
	return s.Storage.Close()
}

// packIndex is go-git's in-memory index of one pack with FindHash answered
// from a sorted array instead of a map of every object.
type packIndex struct {
	*idxfile.MemoryIndex
	once sync.Once
	rev  []revEntry // by offset
	err  error
}

type revEntry struct {
	offset uint64
	names  uint32 // the slice of Names (FanoutMapping's value)
	pos    uint32 // the position in it
}

const offset64Flag = uint32(1) << 31

func (ix *packIndex) offset(k, i int) (uint64, error) {
	o := binary.BigEndian.Uint32(ix.Offset32[k][i*4 : i*4+4])
	if o&offset64Flag == 0 {
		return uint64(o), nil
	}
	at := 8 * uint64(o&^offset64Flag)
	if at+8 > uint64(len(ix.Offset64)) {
		return 0, fmt.Errorf("%w: 64-bit offset out of range", idxfile.ErrMalformedIdxFile)
	}
	return binary.BigEndian.Uint64(ix.Offset64[at : at+8]), nil
}

func (ix *packIndex) build() {
	n := 0
	for _, names := range ix.Names {
		n += len(names) / 20
	}
	rev := make([]revEntry, 0, n)
	for k, names := range ix.Names {
		for i := range len(names) / 20 {
			o, err := ix.offset(k, i)
			if err != nil {
				ix.err = err
				return
			}
			rev = append(rev, revEntry{offset: o, names: uint32(k), pos: uint32(i)})
		}
	}
	slices.SortFunc(rev, func(a, b revEntry) int {
		switch {
		case a.offset < b.offset:
			return -1
		case a.offset > b.offset:
			return 1
		}
		return 0
	})
	ix.rev = rev
}

// FindHash returns the hash of the object at offset o.
func (ix *packIndex) FindHash(o int64) (plumbing.Hash, error) {
	ix.once.Do(ix.build)
	if ix.err != nil {
		return plumbing.ZeroHash, ix.err
	}
	i, ok := slices.BinarySearchFunc(ix.rev, uint64(o), func(e revEntry, t uint64) int {
		switch {
		case e.offset < t:
			return -1
		case e.offset > t:
			return 1
		}
		return 0
	})
	if !ok {
		return plumbing.ZeroHash, plumbing.ErrObjectNotFound
	}
	e := ix.rev[i]
	var h plumbing.Hash
	copy(h[:], ix.Names[e.names][e.pos*20:e.pos*20+20])
	return h, nil
}

// FindOffset is MemoryIndex's lookup without its side map of every
// offset looked up.
func (ix *packIndex) FindOffset(h plumbing.Hash) (int64, error) {
	k := ix.FanoutMapping[h[0]]
	if k < 0 || k >= len(ix.Names) {
		return 0, plumbing.ErrObjectNotFound
	}
	names := ix.Names[k]
	n := len(names) / 20
	lo, hi := 0, n
	for lo < hi {
		mid := (lo + hi) / 2
		c := bytes.Compare(names[mid*20:mid*20+20], h[:])
		switch {
		case c == 0:
			o, err := ix.offset(k, mid)
			return int64(o), err
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, plumbing.ErrObjectNotFound
}
