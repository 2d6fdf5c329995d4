package config

// ExecConfig configures a check of kind exec. The kind is not built yet: its
// block is accepted by the schema only once the kind registers itself.
type ExecConfig struct{}
