package rules

import "slices"

// Index holds the conditions of one event source and finds, for an event,
// the ones that may match: a condition with Keys is filed under each value
// of its first key, and an event only reaches the conditions filed under the
// values its payload holds at those paths, plus the conditions without keys.
// Candidates come back in the order they were added, each once.
type Index struct {
	paths  [][]string
	byPath []map[any][]int
	always []int
}

// Add files condition number i (nil: a condition that always holds).
func (x *Index) Add(i int, c *Condition) {
	if c == nil || len(c.Keys) == 0 {
		x.always = append(x.always, i)
		return
	}
	k := c.Keys[0]
	j := slices.IndexFunc(x.paths, func(p []string) bool { return slices.Equal(p, k.Path) })
	if j < 0 {
		j = len(x.paths)
		x.paths = append(x.paths, k.Path)
		x.byPath = append(x.byPath, map[any][]int{})
	}
	for _, v := range k.Values {
		x.byPath[j][v] = append(x.byPath[j][v], i)
	}
}

// Candidates appends to buf the conditions event may satisfy, in order.
// With a reused buf it does not allocate.
func (x *Index) Candidates(event map[string]any, buf []int) []int {
	buf = append(buf[:0], x.always...)
	for j, p := range x.paths {
		v, ok := Lookup(event, p)
		if !ok {
			// The payload's shape needs the VM: every condition of the path.
			for _, l := range x.byPath[j] {
				buf = append(buf, l...)
			}
			continue
		}
		switch v.(type) {
		case string, bool:
			buf = append(buf, x.byPath[j][v]...)
		case nil, float64, int, int64, map[string]any, []any:
			// Cannot equal a string or bool constant.
		default:
			for _, l := range x.byPath[j] {
				buf = append(buf, l...)
			}
		}
	}
	if len(x.paths) > 0 {
		// A condition filed under several values of a path comes back
		// once per value when the payload's shape needs the VM.
		slices.Sort(buf)
		buf = slices.Compact(buf)
	}
	return buf
}
