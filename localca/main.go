// Command step-ca runs Smallstep's certificate authority, built from the Go
// sources that Debian packages, for stepwasm's interop tests and README demo.
//
// Debian ships step-ca as a library without its command, so this file supplies
// one: it wraps commands.AppCommand in a urfave/cli v1 application.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/smallstep/certificates/commands"
	"github.com/urfave/cli"
	"go.step.sm/cli-utils/step"

	// Registered for their side effects: the software CA service and the
	// software key manager that read the keys named in ca.json.
	_ "github.com/smallstep/certificates/cas/softcas"
	_ "github.com/smallstep/certificates/kms/softkms"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "unknown"

func main() {
	step.Set("Smallstep CA", version, "")

	app := cli.NewApp()
	app.Name = "step-ca"
	app.HelpName = "step-ca"
	app.Usage = "an online certificate authority (stepwasm local build)"
	// The usage text is written for step's markdown help renderer.
	app.UsageText = strings.ReplaceAll(commands.AppCommand.UsageText, "**", "")
	app.Version = version
	app.Flags = commands.AppCommand.Flags
	app.Action = commands.AppCommand.Action

	if err := app.Run(flagsFirst(app.Flags, os.Args)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// flagsFirst moves flags (with their values) ahead of positional arguments.
//
// urfave/cli v1 stops parsing flags at the first positional argument at the
// application level, so "step-ca ca.json --password-file f" would otherwise
// ignore the flag.
func flagsFirst(flags []cli.Flag, args []string) []string {
	boolean := map[string]bool{"help": true, "h": true, "version": true, "v": true}
	for _, f := range flags {
		if _, ok := f.(cli.BoolFlag); ok {
			for _, name := range strings.Split(f.GetName(), ",") {
				boolean[strings.TrimSpace(name)] = true
			}
		}
	}

	var front, rest []string
	for i := 1; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			rest = append(rest, arg)
			continue
		}
		front = append(front, arg)
		name := strings.TrimLeft(arg, "-")
		if !strings.Contains(name, "=") && !boolean[name] && i+1 < len(args) {
			i++
			front = append(front, args[i])
		}
	}
	return append(append([]string{args[0]}, front...), rest...)
}
