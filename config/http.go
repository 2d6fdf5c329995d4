package config

// HTTPConfig configures a check of kind http. The kind is not built yet: its
// block is accepted by the schema only once the kind registers itself.
type HTTPConfig struct{}
