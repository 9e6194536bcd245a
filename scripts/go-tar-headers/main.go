// Command go-tar-headers prints, for each tar file named on the command line, what Go's archive/tar
// (the reader Docker, containerd and umoci use) reads from it: one JSON object per file, one a line:
//
//	{"file": PATH, "headers": [HEADER...], "error": MESSAGE-or-null}
//
// Each HEADER has the fields of tar.Header the lab's reader is compared on, and the entry's content
// as Reader.Read returns it (holes of sparse files read as zeros): its length, its sha256 (only when
// Size is under 1 GiB: the testdata's sparse files are 60 GB of zeros) and "digest", the sha256 of the
// content with each maximal run of NUL bytes replaced by "\x00<decimal length>\n" (the same as sha256
// for content without NULs, and cheap for both sides on huge holes).
// "error" is the first error Next or Read returned (io.EOF, the normal end, is not an error); the
// headers read before it are kept. The test test/unit/tar-go-testdata.test.ts runs it.
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
)

type header struct {
	Name       string            `json:"name"`
	Typeflag   int               `json:"typeflag"`
	Size       int64             `json:"size"`
	Linkname   string            `json:"linkname"`
	Mode       int64             `json:"mode"`
	Uid        int               `json:"uid"`
	Gid        int               `json:"gid"`
	Uname      string            `json:"uname"`
	Gname      string            `json:"gname"`
	Mtime      int64             `json:"mtime"`
	MtimeNsec  int               `json:"mtimeNsec"`
	Devmajor   int64             `json:"devmajor"`
	Devminor   int64             `json:"devminor"`
	Xattrs     map[string]string `json:"xattrs,omitempty"`
	PAXRecords map[string]string `json:"paxRecords,omitempty"`
	Format     string            `json:"format"`
	Sha256     string            `json:"sha256,omitempty"`
	Digest     string            `json:"digest"`
	Length     int64             `json:"length"`
}

type result struct {
	File    string   `json:"file"`
	Headers []header `json:"headers"`
	Error   *string  `json:"error"`
}

func read(path string) result {
	res := result{File: path, Headers: []header{}}
	fail := func(err error) result {
		msg := err.Error()
		res.Error = &msg
		return res
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return res
		}
		if err != nil {
			return fail(err)
		}
		d := newDigest(h.Size < 1<<30)
		n, rerr := io.CopyBuffer(d, struct{ io.Reader }{tr}, make([]byte, 1<<22))
		res.Headers = append(res.Headers, header{
			Name: h.Name, Typeflag: int(h.Typeflag), Size: h.Size, Linkname: h.Linkname, Mode: h.Mode,
			Uid: h.Uid, Gid: h.Gid, Uname: h.Uname, Gname: h.Gname,
			Mtime: h.ModTime.Unix(), MtimeNsec: h.ModTime.Nanosecond(),
			Devmajor: h.Devmajor, Devminor: h.Devminor, Xattrs: h.Xattrs, PAXRecords: h.PAXRecords,
			Format: h.Format.String(), Sha256: d.plainSum(), Digest: d.sum(), Length: n,
		})
		if rerr != nil {
			return fail(rerr)
		}
	}
}

// digest computes both sums of the content written to it.
type digest struct {
	plain hash.Hash // nil when not wanted
	runs  hash.Hash
	zeros int64 // length of the run of NULs not yet written to runs
}

var zeroBlock = make([]byte, 1<<22)

func newDigest(plain bool) *digest {
	d := &digest{runs: sha256.New()}
	if plain {
		d.plain = sha256.New()
	}
	return d
}

func (d *digest) Write(b []byte) (int, error) {
	written := len(b)
	if d.plain != nil {
		d.plain.Write(b)
	}
	for len(b) > 0 {
		// Fast path: a block of NULs (a hole) only extends the run.
		if n := min(len(b), len(zeroBlock)); bytes.Equal(b[:n], zeroBlock[:n]) {
			d.zeros += int64(n)
			b = b[n:]
			continue
		}
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			i = len(b)
		}
		if i > 0 {
			d.flush()
			d.runs.Write(b[:i])
			b = b[i:]
		}
		for len(b) > 0 && b[0] == 0 {
			d.zeros++
			b = b[1:]
		}
	}
	return written, nil
}

func (d *digest) flush() {
	if d.zeros > 0 {
		fmt.Fprintf(d.runs, "\x00%d\n", d.zeros)
		d.zeros = 0
	}
}

func (d *digest) sum() string {
	d.flush()
	return hex.EncodeToString(d.runs.Sum(nil))
}

func (d *digest) plainSum() string {
	if d.plain == nil {
		return ""
	}
	return hex.EncodeToString(d.plain.Sum(nil))
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go-tar-headers FILE.tar...")
		os.Exit(2)
	}
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	for _, path := range os.Args[1:] {
		if err := out.Encode(read(path)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
