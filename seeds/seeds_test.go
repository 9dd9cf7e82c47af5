package seeds

import "testing"

// TestFrozenStreams pins the derivation: changing it silently would change
// every level, individual and rollout of every stored run. If this test fails
// on purpose, bump mesa.schema_version and say so in the changelog.
func TestFrozenStreams(t *testing.T) {
	tests := []struct {
		root    uint64
		purpose string
		path    []uint64
		want    uint64
	}{
		{0, "", nil, 0x452367678f8cddbe},
		{1, "level", []uint64{0}, 0xa3904bceec57ecfe},
		{1, "level", []uint64{1}, 0x622a3a270438697d},
		{42, "mutation", []uint64{3, 17}, 0x3aa20211154af28},
	}
	for _, tt := range tests {
		if got := Derive(tt.root, tt.purpose, tt.path...); got != tt.want {
			t.Errorf("Derive(%d, %q, %v) = %#x, want %#x", tt.root, tt.purpose, tt.path, got, tt.want)
		}
	}
}

func TestDistinct(t *testing.T) {
	seen := map[uint64]string{}
	add := func(name string, v uint64) {
		if prev, ok := seen[v]; ok {
			t.Fatalf("%s collides with %s", name, prev)
		}
		seen[v] = name
	}
	add("ab/1", Derive(7, "ab", 1))
	add("a/b,1", Derive(7, "a", 'b', 1))
	add("ab", Derive(7, "ab"))
	add("ab/1,0", Derive(7, "ab", 1, 0))
	add("ab/0,1", Derive(7, "ab", 0, 1))
	for i := uint64(0); i < 10000; i++ {
		add("level", Derive(7, "level", i))
	}
}

func TestNewDeterministic(t *testing.T) {
	a, b := New(3, "x", 1), New(3, "x", 1)
	for range 100 {
		if a.Uint64() != b.Uint64() {
			t.Fatal("same stream gave different numbers")
		}
	}
	p := PCG(3, "x", 1)
	c := New(3, "x", 1)
	for range 10 {
		if p.Uint64() != c.Uint64() {
			t.Fatal("PCG and New disagree")
		}
	}
}

// TestStreams: a Streams value derives what the functions do.
func TestStreams(t *testing.T) {
	for _, purpose := range []string{"", "ga/rollout", "eval-rollout/sgd/planner/3/final/0/deploy"} {
		s := Of(11, purpose)
		for _, path := range [][]uint64{nil, {0}, {5, 7}, {1, 2, 3, 4}} {
			if got, want := s.Derive(path...), Derive(11, purpose, path...); got != want {
				t.Errorf("Of(11, %q).Derive(%v) = %#x, want %#x", purpose, path, got, want)
			}
			p, q, r := s.PCG(path...), PCG(11, purpose, path...), s.New(path...)
			for range 5 {
				a, b, c := p.Uint64(), q.Uint64(), r.Uint64()
				if a != b || a != c {
					t.Fatalf("Of(11, %q) path %v: PCG %#x, function PCG %#x, New %#x", purpose, path, a, b, c)
				}
			}
		}
	}
}
