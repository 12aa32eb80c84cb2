package config

// SSHCheck passes when Command, run on the machine over SSH, exits with ExitCode and its
// output contains StdoutContains (when set).
type SSHCheck struct {
	Address        string `yaml:"address"`          // host:port, a template over the environment's outputs
	User           string `yaml:"user"`             // required
	PrivateKeyFile string `yaml:"private_key_file"` // relative to kiln.yaml; or PrivateKeyEnv
	PrivateKeyEnv  string `yaml:"private_key_env"`  // an environment variable holding the key's path
	HostKey        string `yaml:"host_key"`         // required: the server's public key(s), a template
	Command        string `yaml:"command"`          // run by the user's login shell; a template
	ExitCode       int    `yaml:"exit_code"`        // default 0
	StdoutContains string `yaml:"stdout_contains"`  // a template
}

// GossCheck passes when goss, copied to the machine over SSH, validates Gossfile with no
// failed assertion.
type GossCheck struct {
	Address        string `yaml:"address"`
	User           string `yaml:"user"`
	PrivateKeyFile string `yaml:"private_key_file"`
	PrivateKeyEnv  string `yaml:"private_key_env"`
	HostKey        string `yaml:"host_key"`
	Gossfile       string `yaml:"gossfile"` // required, relative to kiln.yaml; self-contained
	Binary         string `yaml:"binary"`   // optional, relative to kiln.yaml: a goss for the machine
}

// SSHConnection is how an ssh or goss check reaches the machine.
type SSHConnection struct {
	Address        string
	User           string
	PrivateKeyFile string
	PrivateKeyEnv  string
	HostKey        string
}

// Connection returns how the check reaches the machine.
func (s *SSHCheck) Connection() SSHConnection {
	return SSHConnection{s.Address, s.User, s.PrivateKeyFile, s.PrivateKeyEnv, s.HostKey}
}

// Connection returns how the check reaches the machine.
func (g *GossCheck) Connection() SSHConnection {
	return SSHConnection{g.Address, g.User, g.PrivateKeyFile, g.PrivateKeyEnv, g.HostKey}
}
