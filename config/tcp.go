package config

// TCPConfig configures a check of kind tcp. The kind is not built yet: its
// block is accepted by the schema only once the kind registers itself.
type TCPConfig struct{}
