package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"

	"github.com/spf13/pflag"
)

// The accountability documents generated from the catalog.

func cmdCatalogROPA(c *cli, fs *pflag.FlagSet) runFunc {
	var pf policyFlags
	pf.registerCatalog(fs)
	format := fs.String("format", "markdown", "output `format`: markdown, csv or json")
	logs := fs.StringArray("decision-log", nil, "a decision log `file` (policies.WithDecisionLog, JSON lines) whose allowed transfers name the third countries, safeguards and Art. 49 derogations used, and whose guest decisions name the customers (repeatable)")
	inputFile := fs.String("record-input", "", "a JSON `file` of declared transfers and customers (accountability.RecordInput)")
	return func(ctx context.Context, args []string) error {
		cat, err := pf.loadCatalog()
		if err != nil {
			return err
		}
		var in accountability.RecordInput
		read := func(path, flag string, parse func(io.Reader) (accountability.RecordInput, error)) error {
			f, err := os.Open(path)
			if err != nil {
				// A file named on the command line that cannot be read
				// is bad input (exit 2), as for every other input file.
				return usagef("--%s: %v%s", flag, err, missingFileHint(path, err))
			}
			defer f.Close()
			more, err := parse(f)
			if err != nil {
				return usagef("--%s %s: %v", flag, path, err)
			}
			in = in.Merge(more)
			return nil
		}
		if *inputFile != "" {
			if err := read(*inputFile, "record-input", accountability.ReadRecordInput); err != nil {
				return err
			}
		}
		for _, path := range *logs {
			if err := read(path, "decision-log", accountability.ReadDecisionLog); err != nil {
				return err
			}
		}
		rec, err := accountability.BuildRecordWith(cat, in)
		if err != nil {
			return usagef("%v", err)
		}
		switch *format {
		case "markdown", "md":
			return rec.WriteMarkdown(c.stdout)
		case "csv":
			return rec.WriteCSV(c.stdout)
		case "json":
			return rec.WriteJSON(c.stdout)
		}
		return usagef("--format: want markdown, csv or json, got %q", *format)
	}
}

func cmdCatalogNotice(c *cli, fs *pflag.FlagSet) runFunc {
	var pf policyFlags
	pf.registerCatalog(fs)
	return func(ctx context.Context, args []string) error {
		cat, err := pf.loadCatalog()
		if err != nil {
			return err
		}
		return accountability.WriteNotice(c.stdout, cat)
	}
}

// cmdCatalogDiffNotice prints one finding a line and exits 1 when there is
// any, so that a pipeline can gate on a published notice.
func cmdCatalogDiffNotice(c *cli, fs *pflag.FlagSet) runFunc {
	var pf policyFlags
	pf.registerCatalog(fs)
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usagef("catalog diff-notice: give the notice text FILE")
		}
		text, err := privacy.ReadFile(args[0], "notice", privacy.MaxTextBytes, "MaxTextBytes")
		if err != nil {
			return usagef("%v%s", err, missingFileHint(args[0], err))
		}
		cat, err := pf.loadCatalog()
		if err != nil {
			return err
		}
		findings := accountability.DiffNotice(cat, string(text))
		// One finding a line unless -o json is asked for: then the
		// findings as a JSON array (kind, key, message, article, section,
		// quote), [] when there are none.
		if c.outputGiven && c.output == "json" {
			if err := printJSON(c.stdout, append([]accountability.Finding{}, findings...)); err != nil {
				return err
			}
		} else {
			for _, f := range findings {
				fmt.Fprintln(c.stdout, f.String())
			}
			if len(findings) == 0 {
				fmt.Fprintln(c.stdout, "no findings")
			}
		}
		if len(findings) > 0 {
			return &exitError{code: exitFailure, msg: fmt.Sprintf("%d findings", len(findings))}
		}
		return nil
	}
}

func cmdCatalogDiagram(c *cli, fs *pflag.FlagSet) runFunc {
	var pf policyFlags
	pf.registerCatalog(fs)
	format := fs.String("format", "mermaid", "output `format`: mermaid, dot, svg or png (svg and png need Graphviz dot)")
	return func(ctx context.Context, args []string) error {
		cat, err := pf.loadCatalog()
		if err != nil {
			return err
		}
		switch *format {
		case "mermaid":
			return accountability.WriteMermaid(c.stdout, cat)
		case "dot":
			return accountability.WriteDOT(c.stdout, cat)
		case "svg", "png":
			var dot bytes.Buffer
			if err := accountability.WriteDOT(&dot, cat); err != nil {
				return err
			}
			out, err := accountability.RenderGraphviz(ctx, dot.Bytes(), *format)
			if errors.Is(err, exec.ErrNotFound) {
				return fmt.Errorf("--format %s needs Graphviz dot (apt-get install graphviz): %w", *format, err)
			}
			if err != nil {
				return err
			}
			_, err = c.stdout.Write(out)
			return err
		}
		return usagef("--format: want mermaid, dot, svg or png, got %q", *format)
	}
}
