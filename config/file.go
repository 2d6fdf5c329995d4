package config

// FileConfig configures a check of kind file. The kind is not built yet: its
// block is accepted by the schema only once the kind registers itself.
type FileConfig struct{}
