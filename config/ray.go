package config

// RayConfig configures a check of kind ray. The kind is not built yet: its
// block is accepted by the schema only once the kind registers itself.
type RayConfig struct{}
