# Runs the image kiln deploys as an auto scaling group behind an application load balancer.
# kiln passes the exact image id ("eu-west-1:ami-0123...") in var.image_id; a new image
# replaces the launch template (create_before_destroy) and the group rolls its instances
# over with an instance refresh, keeping full capacity.
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
  ami    = split(":", var.image_id)[1]
}

# A new image replaces the launch template instead of adding a version to it: kiln-rotate
# keeps every AMI that any version of any launch template names, so old versions would keep
# old images forever.
resource "terraform_data" "image" {
  input = var.image_id
}

resource "aws_launch_template" "web" {
  name_prefix            = "${var.name}-"
  image_id               = local.ami
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.instances.id]

  metadata_options {
    http_tokens = "required"
  }

  tag_specifications {
    resource_type = "instance"
    tags = {
      Name       = var.name
      kiln-image = var.image_id
    }
  }

  lifecycle {
    create_before_destroy = true
    replace_triggered_by  = [terraform_data.image]
  }
}

resource "aws_autoscaling_group" "web" {
  name_prefix               = "${var.name}-"
  min_size                  = var.desired_capacity
  max_size                  = var.desired_capacity * 2
  desired_capacity          = var.desired_capacity
  vpc_zone_identifier       = var.subnet_ids
  target_group_arns         = [aws_lb_target_group.web.arn]
  health_check_type         = "ELB"
  health_check_grace_period = 120

  launch_template {
    id      = aws_launch_template.web.id
    version = aws_launch_template.web.latest_version
  }

  # A new launch template starts a rolling replacement that never drops below capacity.
  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 100
      max_healthy_percentage = 200
    }
  }

  tag {
    key                 = "kiln-image"
    value               = var.image_id
    propagate_at_launch = false
  }
}
