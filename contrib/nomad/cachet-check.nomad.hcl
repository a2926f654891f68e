# cachet-check as a Nomad periodic batch job, every minute.
#
#   nomad var put nomad/jobs/cachet-check token=@token
#   nomad job run cachet-check.nomad.hcl
#
# To shard components across jobs, copy the job under another name and give each copy its own
# components after `run`: no two jobs should run the same component.
job "cachet-check" {
  type = "batch"

  periodic {
    crons            = ["* * * * *"]
    # A run still going when the next is due is not doubled (a run ends by its --timeout).
    prohibit_overlap = true
  }

  group "check" {
    # Exit 1 and 2 are results (the component is degraded or down); never rerun a check.
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
        args    = ["--quiet", "--timeout", "50s", "run", "web", "api"]
      }

      env {
        CACHET_CHECK_CONFIG = "${NOMAD_TASK_DIR}/config.toml"
        # Locks and spooled points for the life of the allocation.
        STATE_DIRECTORY = "${NOMAD_ALLOC_DIR}/state"
      }

      # The token from Nomad Variables, as a file only this task can read.
      template {
        data        = "{{ with nomadVar \"nomad/jobs/cachet-check\" }}{{ .token }}{{ end }}"
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
            [[components.web.checks]]
            name = "home page"
            type = "http"
            url = "https://www.example.com/"

          [components.api]
          id = 2
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
