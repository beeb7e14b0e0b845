package main

import "runtime/debug"

// buildVersion is set by the linker (-ldflags "-X main.buildVersion=…") in
// release builds.
var buildVersion string

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "dev"
}
