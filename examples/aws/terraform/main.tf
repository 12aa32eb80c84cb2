# Runs the image kiln deploys as auto scaling groups behind an application load balancer.
# kiln passes the exact image id ("eu-west-1:ami-0123...") in var.image_id.
#
# The service has two slots, blue and green, each its own launch template, auto scaling
# group and target group; the load balancer's listener forwards to both target groups with
# weights. This is the contract of kiln's blue-green and canary strategies
# (docs/strategies.md): kiln-promote sets live_slot, image_blue, image_green and
# weight_green, and reads back live_slot, slot_images and slot_outputs. Without those
# variables (kiln-deploy-dev, a replace promotion) image_id runs alone in blue, and a new
# image replaces blue's launch template (create_before_destroy): the group rolls its
# instances over with an instance refresh, keeping full capacity.
terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
  # kiln.yaml's backend_config fills in the bucket, key and region; each environment is a
  # workspace.
  backend "s3" {}
}

provider "aws" {
  region = local.region
  default_tags {
    tags = {
      Environment = var.name
      ManagedBy   = "kiln"
    }
  }
}

locals {
  # kiln's AWS image ids are region:ami-id, as Packer reports them.
  region = split(":", var.image_id)[0]
  # Each slot's image: "" means the slot has no servers.
  images = { blue = var.image_blue == null ? var.image_id : var.image_blue, green = var.image_green }
  slots  = { for slot, image in local.images : slot => image if image != "" }
  # The listener's weights: a slot without servers gets nothing, whatever weight_green says.
  weights = {
    blue  = local.images.blue == "" ? 0 : 100 - var.weight_green
    green = local.images.green == "" ? 0 : var.weight_green
  }
  # Each slot's test listener (network.tf).
  test_ports = { blue = 8081, green = 8082 }
}

# A new image replaces the slot's launch template instead of adding a version to it:
# kiln-rotate keeps every AMI that any version of any launch template names, so old
# versions would keep old images forever.
resource "terraform_data" "image" {
  for_each = local.slots
  input    = each.value
}

resource "aws_launch_template" "web" {
  for_each               = local.slots
  name_prefix            = "${var.name}-${each.key}-"
  image_id               = split(":", each.value)[1]
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.instances.id]

  metadata_options {
    http_tokens = "required"
  }

  tag_specifications {
    resource_type = "instance"
    tags = {
      Name       = "${var.name}-${each.key}"
      kiln-image = each.value
      kiln-slot  = each.key
    }
  }

  lifecycle {
    create_before_destroy = true
    replace_triggered_by  = [terraform_data.image[each.key]]
  }
}

# A slot's servers. A slot whose image does not change is not touched by an apply; a slot
# whose image becomes "" is removed (after kiln moved its traffic away).
resource "aws_autoscaling_group" "web" {
  for_each                  = local.slots
  name_prefix               = "${var.name}-${each.key}-"
  min_size                  = var.desired_capacity
  max_size                  = var.desired_capacity * 2
  desired_capacity          = var.desired_capacity
  vpc_zone_identifier       = var.subnet_ids
  target_group_arns         = [aws_lb_target_group.slot[each.key].arn]
  health_check_type         = "ELB"
  health_check_grace_period = 120
  # The apply returns once the slot's instances pass the target group's health check, so
  # kiln's checks of a new slot start against servers that are up.
  wait_for_elb_capacity = var.desired_capacity

  launch_template {
    id      = aws_launch_template.web[each.key].id
    version = aws_launch_template.web[each.key].latest_version
  }

  # A new launch template within a slot (a replace promotion) starts a rolling replacement
  # that never drops below capacity.
  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 100
      max_healthy_percentage = 200
    }
  }

  tag {
    key                 = "kiln-image"
    value               = each.value
    propagate_at_launch = false
  }

  tag {
    key                 = "kiln-slot"
    value               = each.key
    propagate_at_launch = false
  }
}
