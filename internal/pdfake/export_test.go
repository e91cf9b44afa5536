package pdfake

// QueryParams exposes the per-operation query parameter lists.
var QueryParams = queryParams
