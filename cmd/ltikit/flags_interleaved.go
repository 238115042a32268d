package main

// parseInterleaved parses args whose flags may come before or after the
// positional arguments, as in `ltikit new DIR -module PATH`, and returns
// the positional arguments in order. "--" ends the flags.
func (f *flags) parseInterleaved(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.parse(args); err != nil {
			return nil, err
		}
		rest := f.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
