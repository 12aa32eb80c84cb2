output "address" {
  description = "The load balancer's host name; kiln-test's checks reach the service there."
  value       = aws_lb.web.dns_name
}

output "image_id" {
  value = var.image_id
}

output "autoscaling_groups" {
  description = "Each running slot's auto scaling group."
  value       = { for slot, g in aws_autoscaling_group.web : slot => g.name }
}

# The strategy contract (docs/strategies.md).
output "live_slot" {
  value = local.images[var.live_slot] != "" ? var.live_slot : ""
}

output "slot_images" {
  value = local.images
}

output "slot_outputs" {
  description = "Per slot, the outputs kiln's checks of that slot are rendered with: its test listener."
  value       = { for slot, port in local.test_ports : slot => { address = "${aws_lb.web.dns_name}:${port}" } }
}

# No stats_url: kiln reads HAProxy's statistics only. A slot's health on AWS is CloudWatch's
# AWS/ApplicationELB metrics (HTTPCode_Target_5XX_Count, RequestCount, TargetResponseTime)
# with these dimensions; kiln does not read them yet (docs/strategies.md, "Cloud mappings").
output "slot_metrics" {
  description = "Per slot, the CloudWatch dimensions of its target group behind the listener."
  value = { for slot, tg in aws_lb_target_group.slot : slot => {
    namespace    = "AWS/ApplicationELB"
    LoadBalancer = aws_lb.web.arn_suffix
    TargetGroup  = tg.arn_suffix
  } }
}
