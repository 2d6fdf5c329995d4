package config

// PromQLConfig configures a check of kind promql. The kind is not built yet: its
// block is accepted by the schema only once the kind registers itself.
type PromQLConfig struct{}
