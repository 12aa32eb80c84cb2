output "address" {
  description = "host:port of the frontend."
  value       = "127.0.0.1:${local.lb.frontend}"
}

output "stats_url" {
  description = "HAProxy's statistics, CSV."
  value       = "http://127.0.0.1:${local.lb.stats}/stats;csv"
}
