import tensorflow as tf

slim = tf.contrib.slim
print "a Python 2 statement"
