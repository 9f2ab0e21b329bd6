// composecheck validates a Compose file against the Compose specification's JSON schema
// and loads it the way `docker compose` does (interpolation, merges, profiles), with no
// Docker engine: compose-go is the library docker compose itself is built on.
//
//	composecheck [-env .env.example[,more.env]] [-profiles '*'] docker-compose.yml
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/schema"
	"go.yaml.in/yaml/v3"
)

func main() {
	envFiles := flag.String("env", ".env.example", "environment files for interpolation, comma-separated")
	profiles := flag.String("profiles", "*", "profiles to enable, comma-separated ('' for none)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: composecheck [-env FILE] COMPOSE_FILE")
		os.Exit(2)
	}
	path := flag.Arg(0)
	if err := check(path, strings.Split(*envFiles, ","), splitNonEmpty(*profiles)); err != nil {
		fmt.Fprintf(os.Stderr, "composecheck: %s: %v\n", path, err)
		os.Exit(1)
	}
}

func splitNonEmpty(list string) []string {
	if list == "" {
		return []string{}
	}
	return strings.Split(list, ",")
}

func check(path string, envFiles, profiles []string) error {
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
	// Then a full load with the profiles asked for, as docker compose would do it.
	options, err := cli.NewProjectOptions(
		[]string{path},
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithProfiles(profiles),
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
	fmt.Printf("composecheck: %s is valid with profiles %v: %d services %v\n", path, profiles, len(names), names)
	return nil
}
