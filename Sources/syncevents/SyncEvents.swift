import ArgumentParser

/// `syncevents`: generate, load, query, inspect and back up a SyncEventStore from the shell.
@main
struct SyncEvents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncevents",
        abstract: "Generate, import, query, inspect and back up a store of connector sync events.",
        discussion: """
            A store is a directory (LMDB). Exit codes: 0 success; 1 error (message on stderr); 2 invalid list request (400 body on stdout); 3 event not found or not visible (404/403 body on stdout).

            Example:
              syncevents generate --events 100000 > events.ndjson
              syncevents import --store /tmp/events events.ndjson
              ORG=$(head -1 events.ndjson | jq -r .organizationId)
              syncevents list --store /tmp/events --organization $ORG \\
                --query 'status=failed&limit=5'
            """,
        subcommands: [
            Generate.self, Import.self, Export.self, List.self, Get.self, Stats.self, Verify.self, Backup.self,
            Bench.self, Serve.self,
        ]
    )
}

