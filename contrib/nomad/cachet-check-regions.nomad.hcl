# cachet-check from several regions, one truth: run this job in each Nomad region (fra, sfo,
# sgp: `nomad job run -region fra cachet-check-regions.nomad.hcl`, and so on). Every run
# votes under its region's name in the Cachet component's meta; a status is pushed when 2
# regions agree (`quorum = 2`), by one of them, with one incident.
#
#   nomad var put -region fra nomad/jobs/cachet-check-regions token=@token   # in each region
#
# Needs Cachet 2.4, or a 3.x core that keeps component meta (`cachet-check doctor` says). Run
# `cachet-check stale --older-than 15m` from one more place (a timer, a CI schedule) so that a
# component no region ran lately shows Unknown.
job "cachet-check-regions" {
  type = "batch"

  periodic {
    crons            = ["* * * * *"]
    prohibit_overlap = true
  }

  group "check" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }

    task "run" {
      driver = "exec"

      config {
        # The Debian package's path; with `cargo install`, the client's ~/.cargo/bin.
        command = "/usr/bin/cachet-check"
        # Every region runs every component: their votes, not a shard each, make the status.
        args = ["--quiet", "--timeout", "50s", "run"]
      }

      env {
        CACHET_CHECK_CONFIG = "${NOMAD_TASK_DIR}/config.toml"
        # The region this allocation runs in: the name its votes are kept under.
        CACHET_CHECK_VANTAGE = "${node.region}"
        STATE_DIRECTORY      = "${NOMAD_ALLOC_DIR}/state"
      }

      template {
        data        = "{{ with nomadVar \"nomad/jobs/cachet-check-regions\" }}{{ .token }}{{ end }}"
        destination = "secrets/token"
        perms       = "0400"
      }

      template {
        destination = "local/config.toml"
        data        = <<-EOT
          [cachet]
          url = "https://status.example.com"
          token_file = "{{ env "NOMAD_SECRETS_DIR" }}/token"

          [components.web]
          id = 1
          quorum = 2
          incident = { name = "Website unavailable" }
            [[components.web.checks]]
            name = "home page"
            type = "http"
            url = "https://www.example.com/"

          [components.api]
          id = 2
          quorum = 2
          incident = { name = "API unavailable" }
            [[components.api.checks]]
            name = "health endpoint"
            type = "http"
            url = "https://api.example.com/health"
        EOT
      }

      resources {
        cpu    = 50
        memory = 64
      }
    }
  }
}
