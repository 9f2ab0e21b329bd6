// composecheck validates a Compose file against the Compose specification's JSON schema
// and loads it the way `docker compose` does (interpolation, merges, profiles), with no
// Docker engine: compose-go is the library docker compose itself is built on.
//
//	composecheck [-env .env.example] docker-compose.yml
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/schema"
	"go.yaml.in/yaml/v3"
)

func main() {
	envFile := flag.String("env", ".env.example", "environment file for interpolation")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: composecheck [-env FILE] COMPOSE_FILE")
		os.Exit(2)
	}
	path := flag.Arg(0)
	if err := check(path, *envFile); err != nil {
		fmt.Fprintf(os.Stderr, "composecheck: %s: %v\n", path, err)
		os.Exit(1)
	}
}

func check(path, envFile string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// The schema first, on the file as written.
	var document map[string]any
	if err := yaml.Unmarshal(raw, &document); err != nil {
		return err
	}
	if err := schema.Validate(document); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	// Then a full load with every profile, as docker compose would do it.
	options, err := cli.NewProjectOptions(
		[]string{path},
		cli.WithEnvFiles(envFile),
		cli.WithDotEnv,
		cli.WithProfiles([]string{"*"}),
	)
	if err != nil {
		return err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return err
	}
	names := project.ServiceNames()
	sort.Strings(names)
	fmt.Printf("composecheck: %s is valid: %d services %v\n", path, len(names), names)
	return nil
}
