// Package noflags is the command line of the example programs that take no
// flags: -h prints their usage, and any flag or argument is refused.
package noflags

import (
	"flag"
	"fmt"
	"os"
)

// Parse parses the command line of a program that takes no flags, exiting
// with status 2 (0 for -h) after printing its usage when there is any.
func Parse() {
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s (no flags: it prints its story to stdout)\n", os.Args[0])
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
}
