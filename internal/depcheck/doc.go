// Package depcheck holds the test that keeps hubmirror's imports pointing
// one way: root → mirror → {cache, upstream, metrics}, with prefetch apart.
package depcheck
