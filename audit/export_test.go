package audit

// EncodeForTest exposes the hand encoder to the black-box tests.
func EncodeForTest(r *Record) []byte { return r.appendJSON(nil) }
