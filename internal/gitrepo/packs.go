package gitrepo

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
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
// index file is mapped, not decoded, and the reverse index (8 bytes an
// object, radix-sorted) is built only once a step has read many deltas
// (see FindHash). Objects outside the packs found at Open
// (loose objects, packs fetched later) are read by go-git as before.
type packedStorage struct {
	*filesystem.Storage
	packs []*pack
}

type pack struct {
	idx   *packIndex // its slices point into the mapped index file
	p     *packfile.Packfile
	unmap func() error
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
			_ = p.unmap()
		}
	}
	for _, name := range names {
		base := strings.TrimSuffix(filepath.Base(name), ".idx")
		b, unmap, err := mapFile(name)
		if err != nil {
			closeAll()
			return nil, err
		}
		mi, err := decodeIdx(b)
		if err == nil && hex.EncodeToString(mi.PackfileChecksum[:]) != strings.TrimPrefix(base, "pack-") {
			err = fmt.Errorf("%w: it describes pack %x", idxfile.ErrMalformedIdxFile, mi.PackfileChecksum)
		}
		if err != nil {
			_ = unmap()
			closeAll()
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		pf, err := fs.Open(base + ".pack")
		if err != nil {
			_ = unmap()
			continue // an index without its pack: go-git's storage decides
		}
		ix := &packIndex{MemoryIndex: mi}
		// No filesystem: objects come back in memory, never as lazy
		// readers of a file that a later Close would invalidate.
		packs = append(packs, &pack{idx: ix, p: packfile.NewPackfileWithCache(ix, nil, pf, objects, 0), unmap: unmap})
	}
	return packs, nil
}

// decodeIdx reads a version 2 pack index (git's pack-format.txt) into
// go-git's MemoryIndex without copying: its slices point into b (the
// mapped file). go-git's decoder copies every name and offset through
// small reads, a third of a dry run's time on a large repository.
func decodeIdx(b []byte) (*idxfile.MemoryIndex, error) {
	const head = 8 + 256*4
	if len(b) < head+40 || !bytes.Equal(b[:4], []byte{0xff, 't', 'O', 'c'}) || binary.BigEndian.Uint32(b[4:8]) != 2 {
		return nil, fmt.Errorf("%w: not a version 2 pack index", idxfile.ErrMalformedIdxFile)
	}
	mi := idxfile.NewMemoryIndex()
	mi.Version = 2
	prev := uint32(0)
	for k := range 256 {
		n := binary.BigEndian.Uint32(b[8+k*4:])
		if n < prev {
			return nil, fmt.Errorf("%w: fanout table is not monotonically non-decreasing at entry %d", idxfile.ErrMalformedIdxFile, k)
		}
		mi.Fanout[k] = n
		prev = n
	}
	total := int(mi.Fanout[255])
	names := head
	crcs := names + total*20
	offs := crcs + total*4
	off64 := offs + total*4
	if off64+40 > len(b) || (len(b)-off64-40)%8 != 0 {
		return nil, fmt.Errorf("%w: %d bytes for %d objects", idxfile.ErrMalformedIdxFile, len(b), total)
	}
	start := 0
	for k := range 256 {
		end := int(mi.Fanout[k])
		if end == start {
			mi.FanoutMapping[k] = -1 // go-git's noMapping
			continue
		}
		mi.FanoutMapping[k] = len(mi.Names)
		mi.Names = append(mi.Names, b[names+start*20:names+end*20:names+end*20])
		mi.CRC32 = append(mi.CRC32, b[crcs+start*4:crcs+end*4:crcs+end*4])
		mi.Offset32 = append(mi.Offset32, b[offs+start*4:offs+end*4:offs+end*4])
		start = end
	}
	mi.Offset64 = b[off64 : len(b)-40 : len(b)-40]
	copy(mi.PackfileChecksum[:], b[len(b)-40:])
	copy(mi.IdxChecksum[:], b[len(b)-20:])
	return mi, nil
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
// Reads after Close go to go-git's storage.
func (s *packedStorage) Close() error {
	packs := s.packs
	s.packs = nil
	for _, p := range packs {
		_ = p.p.Close()
		_ = p.unmap()
	}
	return s.Storage.Close()
}

// packIndex is go-git's in-memory index of one pack with FindHash answered
// from a sorted array instead of a map of every object.
type packIndex struct {
	*idxfile.MemoryIndex
	mu     sync.Mutex
	seen   map[int64]plumbing.Hash // offsets looked up by hash, until rev is built
	misses int                     // offsets answered without the reverse index
	once   sync.Once
	// rev holds offset<<posBits | position, sorted: position counts the
	// index's names in order (its Names slices one after the other).
	rev   []uint64
	start []int // the position of each Names slice's first name
	err   error
}

const (
	posBits      = 24 // up to 16M objects a pack
	offset64Flag = uint32(1) << 31
)

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
	ix.start = make([]int, len(ix.Names))
	for k, names := range ix.Names {
		ix.start[k] = n
		n += len(names) / 20
	}
	if n >= 1<<posBits {
		ix.err = fmt.Errorf("a pack of %d objects: more than relman's reverse index holds (%d)", n, 1<<posBits)
		return
	}
	rev := make([]uint64, 0, n)
	var pos uint64
	for k, names := range ix.Names {
		for i := range len(names) / 20 {
			o, err := ix.offset(k, i)
			if err != nil {
				ix.err = err
				return
			}
			if o >= 1<<(64-posBits) {
				ix.err = fmt.Errorf("a pack of over %d bytes: more than relman's reverse index holds", uint64(1)<<(64-posBits))
				return
			}
			rev = append(rev, o<<posBits|pos)
			pos++
		}
	}
	ix.rev = radixSort(rev)
}

// radixSort sorts keys by their low bits up to the highest set bit, 11
// bits a pass: a pack's reverse index is built on the first delta read of
// every run, and this is several times faster than a comparison sort.
func radixSort(keys []uint64) []uint64 {
	var top uint64
	for _, k := range keys {
		top |= k
	}
	const bits = 11
	tmp := make([]uint64, len(keys))
	var count [1 << bits]int
	for shift := uint(0); shift < 64 && top>>shift != 0; shift += bits {
		clear(count[:])
		for _, k := range keys {
			count[k>>shift&(1<<bits-1)]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, k := range keys {
			b := k >> shift & (1<<bits - 1)
			tmp[count[b]] = k
			count[b]++
		}
		keys, tmp = tmp, keys
	}
	return keys
}

// buildAfter is the number of offsets FindHash answers without the
// reverse index before it builds it: a step that reads a few objects
// (a push, the tags of a line) never pays for indexing the whole pack,
// and one that reads many pays once.
const buildAfter = 4096

// FindHash returns the hash of the object at offset o. go-git's pack
// reader asks it only for delta bases, and only to look them up in the
// object cache: until the reverse index is built, an offset not seen yet
// gets a key that no object has (0xff… and the offset), the cache misses
// and the base is read by its offset, as it would be anyway.
func (ix *packIndex) FindHash(o int64) (plumbing.Hash, error) {
	if o < 0 || o >= 1<<(64-posBits) {
		return plumbing.ZeroHash, plumbing.ErrObjectNotFound
	}
	ix.mu.Lock()
	if ix.rev == nil && ix.err == nil {
		if h, ok := ix.seen[o]; ok {
			ix.mu.Unlock()
			return h, nil
		}
		if ix.misses < buildAfter {
			ix.misses++
			ix.mu.Unlock()
			var h plumbing.Hash
			for i := range 12 {
				h[i] = 0xff
			}
			binary.BigEndian.PutUint64(h[12:], uint64(o)) // o >= 0: checked above
			return h, nil
		}
	}
	ix.mu.Unlock()
	return ix.lookup(o)
}

// lookup answers FindHash from the reverse index, built on first use.
func (ix *packIndex) lookup(o int64) (plumbing.Hash, error) {
	ix.once.Do(func() {
		ix.mu.Lock()
		defer ix.mu.Unlock()
		ix.build()
		ix.seen = nil
	})
	if ix.err != nil {
		return plumbing.ZeroHash, ix.err
	}
	if o < 0 {
		return plumbing.ZeroHash, plumbing.ErrObjectNotFound
	}
	off := uint64(o)
	i, _ := slices.BinarySearch(ix.rev, off<<posBits)
	if i == len(ix.rev) || ix.rev[i]>>posBits != off {
		return plumbing.ZeroHash, plumbing.ErrObjectNotFound
	}
	pos := int(ix.rev[i] & (1<<posBits - 1))
	k := sort.Search(len(ix.start), func(k int) bool { return ix.start[k] > pos }) - 1
	at := (pos - ix.start[k]) * 20
	var h plumbing.Hash
	copy(h[:], ix.Names[k][at:at+20])
	return h, nil
}

// remember notes the hash at an offset looked up by hash, so that a later
// delta against that object finds it in the cache.
func (ix *packIndex) remember(o int64, h plumbing.Hash) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.rev != nil || len(ix.seen) >= buildAfter {
		return
	}
	if ix.seen == nil {
		ix.seen = map[int64]plumbing.Hash{}
	}
	ix.seen[o] = h
}

// FindOffset is MemoryIndex's lookup (without its side map of every
// offset looked up).
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
			if err != nil || o > math.MaxInt64 {
				return 0, fmt.Errorf("%w: offset of %s out of range", idxfile.ErrMalformedIdxFile, h)
			}
			ix.remember(int64(o), h)
			return int64(o), nil
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, plumbing.ErrObjectNotFound
}
