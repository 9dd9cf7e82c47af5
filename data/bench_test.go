package data_test

import (
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/mesa-alignment/mesa/data"
)

// BenchmarkWriteEpisodes measures the steady state of a long run on one
// goroutine: appending episode rows, encoding full batches, hashing and
// writing them. Each iteration appends 4096 rows to the same writer, from
// a batch's worth of distinct rows (so that compression does not see
// repeats within a batch).
func BenchmarkWriteEpisodes(b *testing.B) {
	all := episodeRows(data.DefaultBatchRows)
	for _, comp := range []data.Compression{data.CompressionNone, data.CompressionLZ4, data.CompressionZstd} {
		b.Run(string(comp), func(b *testing.B) {
			dir := b.TempDir()
			w := create(b, dir, data.Options{Compression: comp})
			n := 0
			for b.Loop() {
				i := n % len(all)
				if err := w.AppendEpisodes(all[i : i+4096]...); err != nil {
					b.Fatal(err)
				}
				n += 4096
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			m, err := data.ReadManifest(dir)
			if err != nil {
				b.Fatal(err)
			}
			tf, _ := m.Table(data.TableEpisodes)
			b.ReportMetric(float64(tf.Bytes)/float64(tf.Rows), "bytes/row")
		})
	}
}

// BenchmarkReadEpisodes measures decoding episode rows into EpisodeRow.
func BenchmarkReadEpisodes(b *testing.B) {
	for _, comp := range []data.Compression{data.CompressionNone, data.CompressionLZ4, data.CompressionZstd} {
		b.Run(string(comp), func(b *testing.B) {
			dir := b.TempDir()
			w := create(b, dir, data.Options{Compression: comp})
			rows := episodeRows(data.DefaultBatchRows)
			for range 2 {
				if err := w.AppendEpisodes(rows...); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			path := filepath.Join(dir, "episodes.arrow")
			n := 0
			for b.Loop() {
				r, err := data.OpenEpisodes(path, &data.ReadOptions{Allocator: memory.DefaultAllocator})
				if err != nil {
					b.Fatal(err)
				}
				for r.Next() {
					n++
				}
				if err := r.Err(); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
