resource "aws_security_group" "lb" {
  name_prefix = "${var.name}-lb-"
  vpc_id      = var.vpc_id

  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  # Each slot's test listener, for kiln's checks of a slot before it takes traffic.
  dynamic "ingress" {
    for_each = length(var.test_cidr_blocks) > 0 ? [var.test_cidr_blocks] : []
    content {
      from_port   = local.test_ports.blue
      to_port     = local.test_ports.green
      protocol    = "tcp"
      cidr_blocks = ingress.value
    }
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "instances" {
  name_prefix = "${var.name}-web-"
  vpc_id      = var.vpc_id

  ingress {
    from_port       = 80
    to_port         = 80
    protocol        = "tcp"
    security_groups = [aws_security_group.lb.id]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_lb" "web" {
  name_prefix        = "web-"
  load_balancer_type = "application"
  subnets            = var.subnet_ids
  security_groups    = [aws_security_group.lb.id]
}

# One target group per slot; both always exist, so the listener can weigh them.
resource "aws_lb_target_group" "slot" {
  for_each    = toset(["blue", "green"])
  name_prefix = substr("${each.key}-", 0, 6)
  port        = 80
  protocol    = "HTTP"
  vpc_id      = var.vpc_id
  # Short enough for a blue-green switch: a slot at weight 0 gets no new requests, and its
  # connections finish within this delay before its instances are removed.
  deregistration_delay = 30

  health_check {
    path    = "/healthz"
    matcher = "200"
  }
}

# What clients use: both slots, weighted (live_slot alone at 100 outside a promotion).
resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "forward"
    forward {
      dynamic "target_group" {
        for_each = aws_lb_target_group.slot
        content {
          arn    = target_group.value.arn
          weight = local.weights[target_group.key]
        }
      }
      stickiness {
        enabled  = false
        duration = 1
      }
    }
  }
}

# Each slot on a port of its own, whatever the weights: slot_outputs' address, where kiln
# runs the test checks against a new slot before it takes traffic.
resource "aws_lb_listener" "slot" {
  for_each          = local.test_ports
  load_balancer_arn = aws_lb.web.arn
  port              = each.value
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.slot[each.key].arn
  }
}
