"""Knowledge distillation from the base network during bottleneck fine-tuning."""
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from bottlenet_train.train import TrainConfig, distillation_loss, train


def test_distillation_loss_is_zero_for_the_teachers_own_logits_and_positive_otherwise():
    logits = torch.randn(8, 10)
    soft = torch.softmax(logits / 4.0, dim=1)
    assert float(distillation_loss(logits, soft, 4.0)) == pytest.approx(0.0, abs=1e-6)
    assert float(distillation_loss(torch.randn(8, 10), soft, 4.0)) > 0.01


def test_training_with_a_teacher_pulls_the_student_towards_it():
    torch.manual_seed(0)
    x = torch.randn(256, 6)
    teacher = nn.Linear(6, 3)
    y = teacher(x).argmax(1)
    student = nn.Linear(6, 3)
    ds = TensorDataset(x, y)
    soft = torch.softmax(teacher(x).detach() / 4.0, dim=1)
    before = float(distillation_loss(student(x), soft, 4.0))
    train(student, ds, TrainConfig(epochs=20, batch_size=64, lr=3e-2, show_progress=False, log=lambda _: None,
                                   teacher=teacher, distill_weight=1.0))
    after = float(distillation_loss(student(x), soft, 4.0))
    assert after < before / 3
    assert all(p.grad is None for p in teacher.parameters()), "the teacher must stay frozen"


def test_distillation_without_a_teacher_is_refused():
    ds = TensorDataset(torch.randn(8, 2), torch.zeros(8, dtype=torch.long))
    with pytest.raises(ValueError, match="teacher"):
        train(nn.Linear(2, 2), ds, TrainConfig(epochs=1, distill_weight=0.5, show_progress=False, log=lambda _: None))
