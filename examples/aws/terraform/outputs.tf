output "address" {
  description = "The load balancer's host name; kiln-test's checks reach the service there."
  value       = aws_lb.web.dns_name
}

output "image_id" {
  value = var.image_id
}

output "autoscaling_group" {
  value = aws_autoscaling_group.web.name
}
