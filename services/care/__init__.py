"""A client's place in the program: enrollment, level of care over time and treatment plan
goals. Care team membership is ``services/careteam``."""
