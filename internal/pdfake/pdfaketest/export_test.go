package pdfaketest

// SpecLoads reports how many times an OpenAPI document was parsed in this
// test binary.
func SpecLoads() int64 { return specLoads.Load() }
