package partitioner

import "testing"

// Vectors from the Java client's UtilsTest.testMurmur2.
func TestMurmur2JavaVectors(t *testing.T) {
	cases := map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	}
	for in, want := range cases {
		if got := Murmur2([]byte(in)); got != want {
			t.Errorf("Murmur2(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestPartition(t *testing.T) {
	// toPositive(-973932308) = 1173551340; % 6 = 0 ... computed independently:
	for _, tc := range []struct {
		key  string
		n    int32
		want int32
	}{
		{"21", 6, int32((int64(-973932308) & 0x7fffffff) % 6)},
		{"foobar", 3, int32((int64(-790332482) & 0x7fffffff) % 3)},
		{"abc", 12, 479470107 % 12},
	} {
		if got := Partition([]byte(tc.key), tc.n); got != tc.want {
			t.Errorf("Partition(%q, %d) = %d, want %d", tc.key, tc.n, got, tc.want)
		}
	}
	for i := 0; i < 1000; i++ {
		p := Partition([]byte{byte(i), byte(i >> 8), 0xff}, 7)
		if p < 0 || p >= 7 {
			t.Fatalf("partition out of range: %d", p)
		}
	}
}

func TestCRC32(t *testing.T) {
	// crc32("123456789") = 0xCBF43926, the IEEE check value.
	if got, want := CRC32([]byte("123456789"), 1000), int32(0xCBF43926%1000); got != want {
		t.Errorf("CRC32 = %d, want %d", got, want)
	}
	if got := CRC32(nil, 5); got != 0 {
		t.Errorf("CRC32(nil) = %d, want 0", got)
	}
}

func TestByName(t *testing.T) {
	for _, name := range append([]string{""}, Names...) {
		f, err := ByName(name)
		if err != nil {
			t.Fatalf("ByName(%q): %v", name, err)
		}
		if p := f([]byte("foobar"), 4); p < 0 || p >= 4 {
			t.Errorf("%s: partition %d out of range", name, p)
		}
	}
	f, _ := ByName("murmur2_random")
	if p := f(nil, 4); p != Unassigned {
		t.Errorf("murmur2_random(nil) = %d, want Unassigned", p)
	}
	f, _ = ByName("")
	if p, want := f([]byte("abc"), 12), Partition([]byte("abc"), 12); p != want {
		t.Errorf("default = %d, want murmur2 %d", p, want)
	}
	if _, err := ByName("fnv1a"); err == nil {
		t.Error("ByName(fnv1a): want error")
	}
}
